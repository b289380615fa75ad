"""Values shared by the tests."""

APP_ID = "demo_app"
ACCESS_TOKEN = "demo_token"
WEBHOOK_ID = "hoiio_test_webhook_id"
HOIIO_NUMBER = "+6531580000"
CALLER = "+6591234567"
MOBILE = "+6598765432"
CLOUDHOOK = "https://hooks.nabu.casa/hoiio-test"
