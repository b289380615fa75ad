"""Tests of the Hoiio integration and its simulator."""
