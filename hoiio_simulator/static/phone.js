// The phone page: a dialer, and a card for every call the simulator has.

import { listenToKeyboard, placeCall, showAll, showCall, showEntry, startClock } from './calls.js';
import { watch } from './live.js';
import { unlockAudio } from './voice.js';

const dialer = document.getElementById('dialer');
const caller = document.getElementById('caller');
const numbers = document.getElementById('number');
const dialerError = document.getElementById('dialer-error');
const connection = document.getElementById('connection');

function showNumbers(list) {
  const chosen = numbers.value;
  numbers.replaceChildren(...list.map(({ number, ready }) => {
    const option = document.createElement('option');
    option.value = number;
    option.textContent = ready ? number : `${number} (no notify URL yet)`;
    return option;
  }));
  if (list.some(({ number }) => number === chosen)) numbers.value = chosen;
}

function showConnection(state) {
  connection.dataset.state = state;
  connection.textContent = state === 'connected'
    ? 'Connected to the simulator'
    : 'Not connected to the simulator: trying again…';
}

function receive(message) {
  switch (message.type) {
    case 'hello':
      showNumbers(message.numbers);
      if (!caller.value) caller.value = message.caller;
      showAll(message.calls);
      break;
    case 'numbers':
      showNumbers(message.numbers);
      break;
    case 'entry':
      showEntry(message.session, message.entry, true);
      break;
    case 'call':
      showCall(message.call, true);
      break;
    default:
      break;
  }
}

async function call(event) {
  event.preventDefault();
  dialerError.textContent = '';
  if (!dialer.reportValidity()) return;
  unlockAudio();
  const button = dialer.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await placeCall(caller.value.trim(), numbers.value);
  } catch (failure) {
    dialerError.textContent = `The call was not placed: ${failure.message}`;
  } finally {
    button.disabled = false;
  }
}

dialer.addEventListener('submit', call);
document.addEventListener('pointerdown', unlockAudio);
document.addEventListener('keydown', unlockAudio);
listenToKeyboard();
startClock();
watch({ onMessage: receive, onStatus: showConnection });
