// The call cards: one per call, with its transcript and the controls it needs now.

import { announce } from './announce.js';
import { control } from './api.js';
import { renderEntry } from './transcript.js';
import * as voice from './voice.js';

const KEYS = [
  ['1', ''], ['2', 'ABC'], ['3', 'DEF'], ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'],
  ['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'], ['*', ''], ['0', '+'], ['#', ''],
];
// The lines whose message the caller hears at once.
const SPOKEN = new Set(['play', 'gather', 'gather_again', 'record', 'transfer', 'hangup', 'monitor']);
const MINE_KEY = 'hoiio-phone-mine';

const cards = new Map();
const mine = new Set(loadMine());
// Calls this page placed whose session is not known yet: {from, to}.
const placing = [];

function loadMine() {
  try {
    return JSON.parse(sessionStorage.getItem(MINE_KEY)) ?? [];
  } catch {
    return [];
  }
}

function rememberMine(session) {
  mine.add(session);
  sessionStorage.setItem(MINE_KEY, JSON.stringify([...mine]));
  const card = cards.get(session);
  if (card) card.mine = true;
}

function forgetMineExcept(sessions) {
  for (const session of [...mine]) {
    if (!sessions.has(session)) mine.delete(session);
  }
  sessionStorage.setItem(MINE_KEY, JSON.stringify([...mine]));
}

function list() {
  return document.getElementById('call-list');
}

function showEmptyHint() {
  document.getElementById('no-calls').hidden = cards.size > 0;
}

function part(card, selector) {
  return card.element.querySelector(selector);
}

function buildKeypad(keypad, session) {
  keypad.setAttribute('aria-label', `Keypad of call ${session}`);
  for (const [key, letters] of KEYS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.key = key;
    button.setAttribute('aria-label', key);
    button.append(key);
    if (letters) {
      const small = document.createElement('small');
      small.textContent = letters;
      small.setAttribute('aria-hidden', 'true');
      button.append(small);
    }
    keypad.append(button);
  }
}

async function act(card, action, fields = {}) {
  voice.unlockAudio();
  const error = part(card, '.call-error');
  error.textContent = '';
  try {
    await control(action, { session: card.view.session, ...fields });
  } catch (failure) {
    error.textContent = failure.message;
  }
}

function pressKey(card, key) {
  return act(card, 'keys', { keys: key });
}

function answerDial(card, answer) {
  if (answer === 'answer') rememberMine(card.view.session);
  return act(card, 'answer_dial', { answer });
}

function removeCard(card) {
  card.element.remove();
  cards.delete(card.view.session);
  showEmptyHint();
  document.getElementById('calls-title').focus();
}

function wire(card) {
  const on = (selector, handler) => {
    for (const button of card.element.querySelectorAll(selector)) {
      button.addEventListener('click', () => handler(button));
    }
  };
  on('[data-hangup]', () => act(card, 'hangup'));
  on('[data-answer]', (button) => answerDial(card, button.dataset.answer));
  on('[data-outcome]', (button) => act(card, 'far_end', { outcome: button.dataset.outcome }));
  on('[data-stop-recording]', () => act(card, 'stop_recording'));
  on('[data-remove]', () => removeCard(card));
  on('[data-key]', (button) => pressKey(card, button.dataset.key));
  card.element.addEventListener('focusin', (event) => {
    card.focused = event.target;
  });
}

function createCard(session) {
  const template = document.getElementById('call-card');
  const element = template.content.firstElementChild.cloneNode(true);
  const card = { element, mine: mine.has(session), tone: null, focused: null, dialParts: [] };
  // Until the simulator sends the call's state (it follows its first line).
  card.view = { session, state: 'ringing', on_hold: false, interactive: false, waiting: null, unknown: true };
  element.dataset.session = session;
  const title = part(card, '.call-title');
  title.id = `call-${session}`;
  element.setAttribute('aria-labelledby', title.id);
  part(card, '.transcript').setAttribute('aria-label', `What happened in call ${session}`);
  buildKeypad(part(card, '.keypad'), session);
  wire(card);
  return card;
}

function cardFor(session) {
  let card = cards.get(session);
  if (!card) {
    card = createCard(session);
    cards.set(session, card);
    list().prepend(card.element);
    showEmptyHint();
  }
  return card;
}

function titleOf(view) {
  if (view.direction === 'outgoing') return `To ${view.dest} from your Hoiio number`;
  return view.from ? `From ${view.from} to ${view.to}` : `Call ${view.session}`;
}

function nameOf(view) {
  if (view.direction === 'outgoing') return `the call to ${view.dest}`;
  return view.from ? `the call from ${view.from}` : `call ${view.session}`;
}

function stateOf(view) {
  if (view.state === 'ended') return 'Ended';
  const kind = view.waiting?.kind;
  if (kind === 'answer') return 'Ringing';
  if (view.state === 'ringing') return 'Ringing: waiting for Home Assistant to answer';
  if (view.on_hold) return 'On hold';
  const states = {
    digits: 'Waiting for your keys',
    recording: 'Recording',
    far_end: 'Transfer ringing',
    connected: 'Connected',
    room: 'In a conference room',
  };
  return states[kind] ?? 'In call';
}

function secondsLeft(view) {
  const deadline = view.waiting?.deadline;
  return deadline ? Math.max(0, Math.ceil((deadline - Date.now()) / 1000)) : null;
}

function withTimeLeft(text, view) {
  const seconds = secondsLeft(view);
  return seconds === null ? text : `${text} (${seconds} s left)`;
}

function keypadText(view) {
  const waiting = view.waiting;
  if (waiting?.kind !== 'digits') return 'The keypad works while Home Assistant asks for keys.';
  const limit = waiting.max_digits ? `up to ${waiting.max_digits}, ` : '';
  const attempt = waiting.attempts > 1 ? `, attempt ${waiting.attempt} of ${waiting.attempts}` : '';
  const typed = waiting.digits ? `: ${waiting.digits}` : '';
  return withTimeLeft(`Press keys (${limit}# ends${attempt})${typed}`, view);
}

function connectedText(view) {
  if (view.waiting?.kind === 'room') return `In conference room ${view.room}`;
  return `Connected to ${view.transfer_dest}`;
}

function show(card, selector, visible) {
  part(card, selector).hidden = !visible;
}

function renderAreas(card) {
  const { view } = card;
  const kind = view.waiting?.kind;
  const live = view.state !== 'ended';
  show(card, '.ring-in', kind === 'answer');
  part(card, '.ring-text').textContent = withTimeLeft(`Your Hoiio number is calling ${view.dest}`, view);
  show(card, '.keypad-area', view.interactive && live && kind !== 'answer');
  part(card, '.keypad-status').textContent = keypadText(view);
  for (const key of card.element.querySelectorAll('[data-key]')) key.disabled = kind !== 'digits';
  show(card, '.record-area', kind === 'recording');
  part(card, '.record-text').textContent = withTimeLeft('Recording your message', view);
  show(card, '.far-end-area', kind === 'far_end');
  part(card, '.far-end-text').textContent = withTimeLeft(
    `${view.transfer_dest} is ringing. As the far end:`, view);
  show(card, '.connected-area', kind === 'connected' || kind === 'room');
  part(card, '.connected-text').textContent = connectedText(view);
  show(card, '.connected-area [data-outcome]', kind === 'connected');
  show(card, '[data-hangup]', live && kind !== 'answer');
  show(card, '[data-remove]', !live);
}

function usable(element) {
  return element.isConnected && !element.disabled && element.offsetParent !== null;
}

function keepFocus(card) {
  if (!card.focused || usable(card.focused) || !card.element.contains(card.focused)) return;
  const next = [...card.element.querySelectorAll('.area button, .call-actions button')].find(usable);
  (next ?? part(card, '.call-title')).focus();
}

function render(card) {
  const { element, view } = card;
  element.dataset.state = view.state;
  part(card, '.call-title').textContent = `${titleOf(view)} (${view.session})`;
  part(card, '.call-state').textContent = stateOf(view);
  renderAreas(card);
  keepFocus(card);
}

function endText(view) {
  const cost = view.cost ? `, cost ${view.cost.currency} ${view.cost.debit}` : '';
  const name = nameOf(view);
  return `${name[0].toUpperCase()}${name.slice(1)} ended${cost}`;
}

function waitingText(view) {
  const texts = {
    digits: 'Home Assistant asks for keys',
    recording: 'Recording: select Stop recording when you are done',
    far_end: `Transferring to ${view.transfer_dest}: ringing`,
    connected: `Connected to ${view.transfer_dest}`,
    room: `In conference room ${view.room}`,
    answer: `Your Hoiio number is calling ${view.dest}`,
  };
  return texts[view.waiting?.kind] ?? null;
}

/** Return the sentences that tell what changed in a call, or none. */
function changes(before, view) {
  if (view.state === 'ended') return before.state === 'ended' ? [] : [endText(view)];
  const told = [];
  if (before.waiting?.kind === 'answer') told.push('Answered');
  if (!before.unknown && before.state === 'ringing' && view.state === 'ongoing') {
    told.push('Home Assistant answered');
  }
  if (!before.unknown && before.on_hold !== view.on_hold) told.push(view.on_hold ? 'On hold' : 'Off hold');
  if (view.waiting?.kind !== before.waiting?.kind && waitingText(view)) told.push(waitingText(view));
  return told;
}

function toneOf(card) {
  const kind = card.view.waiting?.kind;
  if (card.view.state === 'ended') return null;
  if (kind === 'answer') return 'ringing';
  if (card.mine && kind === 'far_end') return 'ringback';
  if (card.tone === 'hold' && card.view.on_hold) return 'hold';
  return null;
}

function updateTone(card) {
  const tone = toneOf(card);
  if (tone === card.tone) return;
  if (card.tone) voice.stopLoop(card.view.session);
  card.tone = tone;
  if (tone) voice.playTone(card.view.session, tone);
}

function hear(card, entry, players) {
  const session = card.view.session;
  if (entry.kind === 'dialing') card.dialParts = entry.parts;
  if (entry.kind === 'ended') voice.hush(session);
  if (!card.mine) return;
  if (SPOKEN.has(entry.kind)) voice.say(session, entry.parts, players);
  if (entry.kind === 'dial_answer' && entry.answer === 'answer') voice.say(session, card.dialParts, []);
  if (entry.kind === 'hold') {
    card.tone = 'hold';
    if (entry.parts.length) voice.sayInLoop(session, entry.parts, players);
    else voice.playTone(session, 'music');
  }
}

function claimIfPlaced(session, entry) {
  if (entry.kind !== 'ringing') return;
  const index = placing.findIndex((call) => call.from === entry.from && call.to === entry.to);
  if (index >= 0) {
    placing.splice(index, 1);
    rememberMine(session);
  }
}

/** Add a line to a call's transcript; a live one is heard on this page's calls. */
export function showEntry(session, entry, live) {
  if (live) claimIfPlaced(session, entry);
  const card = cardFor(session);
  const { item, players } = renderEntry(entry, { mine: card.mine });
  const transcript = part(card, '.transcript');
  transcript.append(item);
  transcript.scrollTop = transcript.scrollHeight;
  if (live) hear(card, entry, players);
}

/** Show a call's state; a live change is announced. */
export function showCall(view, live) {
  const card = cardFor(view.session);
  const before = card.view;
  card.view = view;
  render(card);
  if (!live) return;
  const told = changes(before, view);
  if (told.length) announce(told.join('. '));
  updateTone(card);
}

/** Show every call as the simulator has them now (on connecting). */
export function showAll(calls) {
  for (const card of cards.values()) voice.hush(card.view.session);
  cards.clear();
  list().replaceChildren();
  forgetMineExcept(new Set(calls.map(({ call }) => call.session)));
  for (const { call, entries } of calls) {
    showCall(call, false);
    for (const entry of entries) showEntry(call.session, entry, false);
  }
  showEmptyHint();
}

/** Call a Hoiio number from this page; its calls wait for this page's keys. */
export async function placeCall(from, to) {
  const call = { from, to };
  placing.push(call);
  announce(`Calling ${to}`);
  try {
    const { session } = await control('incoming_call', { from, to, interactive: 'true' });
    rememberMine(session);
    return session;
  } finally {
    const index = placing.indexOf(call);
    if (index >= 0) placing.splice(index, 1);
  }
}

function cardForKeys(target) {
  const inside = target.closest?.('.call');
  const waiting = [...cards.values()].filter((card) => card.view.waiting?.kind === 'digits');
  return waiting.find((card) => card.element === inside) ?? (waiting.length === 1 ? waiting[0] : null);
}

/** Let the keyboard's 0-9, * and # press keys of the call that asks for them. */
export function listenToKeyboard() {
  document.addEventListener('keydown', (event) => {
    if (!/^[0-9*#]$/.test(event.key) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest?.('input, select, textarea')) return;
    const card = cardForKeys(event.target);
    if (!card) return;
    event.preventDefault();
    pressKey(card, event.key);
  });
}

/** Count down the seconds left of every wait, once a second. */
export function startClock() {
  setInterval(() => {
    for (const card of cards.values()) {
      if (card.view.waiting?.deadline) renderAreas(card);
    }
  }, 1000);
}
