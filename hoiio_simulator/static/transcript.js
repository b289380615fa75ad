// One line of a call's transcript: what the IVR did, in words, with its message.

const FAR_END = {
  answered: (dest) => `${dest} answered: you are connected`,
  busy: (dest) => `${dest} is busy`,
  unanswered: (dest) => `${dest} did not answer`,
  failed: (dest) => `The transfer to ${dest} failed`,
  hangup: (dest) => `${dest} hung up`,
};

const DIAL_ANSWER = {
  answer: 'Answered',
  decline: 'Declined',
  unanswered: 'Nobody answered in time',
};

function plural(count, word) {
  return `${count} ${word}${Number(count) === 1 ? '' : 's'}`;
}

function gatherText(entry) {
  const limits = [];
  const digits = Number(entry.max_digits || 0);
  limits.push(digits ? `up to ${plural(digits, 'key')}` : 'keys until #');
  if (entry.timeout) limits.push(`${entry.timeout} s`);
  if (entry.attempts) limits.push(plural(entry.attempts, 'attempt'));
  return `Asks for keys (${limits.join(', ')})`;
}

function transferText(entry) {
  const dest = entry.dest || '';
  if (dest.startsWith('room:')) {
    const room = dest.slice('room:'.length);
    return room ? `Transfers you to conference room ${room}` : 'Transfers you to a new conference room';
  }
  const ring = entry.ring_time ? ` (rings up to ${entry.ring_time} s)` : '';
  return `Transfers you to ${dest}${ring}`;
}

function resultText(entry) {
  switch (entry.block) {
    case 'gather':
      return entry.digits ? `Keys gathered: ${entry.digits}` : 'No keys gathered';
    case 'record':
      return 'The recording is saved';
    case 'transfer':
      return `The transfer ended: ${entry.transfer_status}${entry.room ? ` (room ${entry.room})` : ''}`;
    case 'dial':
      return `The call ${entry.dial_status === 'answered' ? 'was answered' : `ended: ${entry.dial_status}`}`;
    default:
      return `${entry.block} finished`;
  }
}

function hangupText(entry, mine) {
  const who = mine ? 'You hung up' : 'The caller hung up';
  // Hoiio notifies the end of a block: between two blocks there is none.
  return entry.notified ? who : `${who} between two blocks: no notification tells Home Assistant`;
}

function notifiedText(entry) {
  const told = `Home Assistant was told: ${entry.block}, ${entry.call_state}`;
  return entry.status === null ? `${told} (not delivered: ${entry.error})` : `${told} (HTTP ${entry.status})`;
}

/** Return a transcript line's sentence; `mine` tells whether this page is the phone. */
export function describe(entry, { mine }) {
  switch (entry.kind) {
    case 'ringing': return `Calling ${entry.to} from ${entry.from}`;
    case 'answered': return 'Home Assistant answered';
    case 'dialing': return `Your Hoiio number is calling ${entry.dest}`;
    case 'play': return 'Plays a message';
    case 'gather': return gatherText(entry);
    case 'gather_again': return `No keys yet: asks again (attempt ${entry.attempt} of ${entry.attempts})`;
    case 'gather_timeout': return `Time is up after ${entry.seconds} s`;
    case 'keys': return `You pressed ${entry.keys}`;
    case 'record': return `Records your message${entry.max_duration ? ` (up to ${entry.max_duration} s)` : ''}`;
    case 'record_stopped': return 'You stopped the recording';
    case 'record_full': return `The recording reached its limit of ${entry.seconds} s`;
    case 'hold': return entry.parts.length ? 'Puts you on hold (its message in a loop)' : 'Puts you on hold (hold music)';
    case 'unhold': return 'Takes you off hold';
    case 'monitor': return 'Records the rest of the call';
    case 'transfer': return transferText(entry);
    case 'far_end': return (FAR_END[entry.outcome] ?? FAR_END.failed)(entry.dest);
    case 'hangup': return entry.force ? 'Home Assistant hangs up at once' : 'Home Assistant hangs up';
    case 'dial_answer': return DIAL_ANSWER[entry.answer] ?? entry.answer;
    case 'result': return resultText(entry);
    case 'caller_hangup': return hangupText(entry, mine);
    case 'notified': return notifiedText(entry);
    case 'ended': return `Call ended after ${plural(entry.duration, 'minute')}: cost ${entry.currency} ${entry.debit} (${entry.rate} a minute)`;
    default: return entry.kind;
  }
}

function timeOf(entry) {
  const time = document.createElement('time');
  const at = new Date(entry.at);
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString([], { hour12: false });
  return time;
}

function speechElement(part) {
  const said = document.createElement('span');
  said.className = 'said';
  const quote = document.createElement('q');
  quote.lang = part.language;
  quote.textContent = part.text;
  const voice = document.createElement('span');
  voice.className = 'voice';
  voice.textContent = `${part.language}, ${part.gender}`;
  said.append(quote, voice);
  return said;
}

function audioElement(part) {
  const audio = document.createElement('audio');
  audio.controls = true;
  audio.preload = 'none';
  audio.src = part.url;
  return audio;
}

/**
 * Return a transcript line as a list item, and the audio elements of its
 * message (for the parts that are recordings) in the order of its parts.
 */
export function renderEntry(entry, context) {
  const item = document.createElement('li');
  item.className = entry.kind;
  item.append(timeOf(entry), describe(entry, context));
  const players = [];
  for (const part of entry.parts ?? []) {
    if (part.kind === 'audio') {
      const audio = audioElement(part);
      players.push(audio);
      item.append(audio);
    } else {
      item.append(speechElement(part));
    }
  }
  return { item, players };
}
