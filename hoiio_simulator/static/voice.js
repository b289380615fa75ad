// What the person at the phone hears: messages spoken with the browser's speech
// synthesis, recordings played by their audio elements, hold music, ring tones.

const FEMALE = /female|woman|zira|samantha|victoria|karen|moira|tessa|fiona|susan|hazel|serena|tracy|sin-ji|mei-jia|ting-ting/i;
const MALE = /\bmale\b|\bman\b|david|daniel|alex|fred|george|james|aaron|rishi|mark/i;
// How long to wait for a browser that never says it finished speaking.
const MS_PER_CHARACTER = 90;
const MIN_SPEECH_MS = 1500;
const PAUSE_IN_LOOP_MS = 1500;

const queue = [];
const loops = new Map();
let current = null;
let context = null;

function wait(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Return the voice for a language and gender, if the browser has one. */
export function pickVoice(language, gender) {
  const voices = window.speechSynthesis?.getVoices() ?? [];
  const wanted = language.toLowerCase();
  const sameLanguage = voices.filter((voice) => voice.lang.toLowerCase().replace('_', '-') === wanted);
  const candidates = sameLanguage.length
    ? sameLanguage
    : voices.filter((voice) => voice.lang.toLowerCase().startsWith(wanted.split('-')[0]));
  const [match, other] = gender === 'male' ? [MALE, FEMALE] : [FEMALE, MALE];
  return candidates.find((voice) => match.test(voice.name))
    ?? candidates.find((voice) => !other.test(voice.name))
    ?? null;
}

function speak(part) {
  if (!window.speechSynthesis) return Promise.resolve();
  return new Promise((resolve) => {
    const utterance = new SpeechSynthesisUtterance(part.text);
    utterance.lang = part.language;
    const voice = pickVoice(part.language, part.gender);
    if (voice) {
      utterance.voice = voice;
    } else {
      // No voice of that gender: a lower or higher pitch still tells them apart.
      utterance.pitch = part.gender === 'male' ? 0.7 : 1.2;
    }
    const timer = setTimeout(resolve, Math.max(MIN_SPEECH_MS, part.text.length * MS_PER_CHARACTER));
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    utterance.addEventListener('end', done);
    utterance.addEventListener('error', done);
    window.speechSynthesis.speak(utterance);
  });
}

function playRecording(audio) {
  return new Promise((resolve) => {
    audio.addEventListener('ended', resolve, { once: true });
    audio.addEventListener('error', resolve, { once: true });
    audio.addEventListener('pause', resolve, { once: true });
    audio.play().catch(resolve);
  });
}

function hear(part, audio) {
  return audio ? playRecording(audio) : speak(part);
}

async function playQueue() {
  if (current) return;
  while (queue.length) {
    current = queue.shift();
    await hear(current.part, current.audio);
  }
  current = null;
}

function pairWithPlayers(parts, players) {
  let next = 0;
  return parts.map((part) => ({ part, audio: part.kind === 'audio' ? players[next++] : null }));
}

/** Say a message of a call, after what is already being said. */
export function say(session, parts, players) {
  for (const item of pairWithPlayers(parts, players)) {
    queue.push({ session, ...item });
  }
  playQueue();
}

/** Stop everything a call makes heard: its messages, loops and tones. */
export function hush(session) {
  for (let index = queue.length - 1; index >= 0; index -= 1) {
    if (queue[index].session === session) queue.splice(index, 1);
  }
  if (current?.session === session) {
    if (current.audio) current.audio.pause();
    else window.speechSynthesis?.cancel();
  }
  stopLoop(session);
}

function audioContext() {
  if (!context && window.AudioContext) context = new AudioContext();
  if (context?.state === 'suspended') context.resume().catch(() => {});
  return context;
}

/** Let sounds play: browsers allow audio only after the person acted on the page. */
export function unlockAudio() {
  audioContext();
}

function tone(frequencies, seconds, volume = 0.06) {
  const audio = audioContext();
  if (!audio || audio.state !== 'running') return wait(seconds * 1000);
  const gain = audio.createGain();
  gain.gain.value = volume;
  gain.connect(audio.destination);
  for (const frequency of frequencies) {
    const oscillator = audio.createOscillator();
    oscillator.frequency.value = frequency;
    oscillator.connect(gain);
    oscillator.start();
    oscillator.stop(audio.currentTime + seconds);
  }
  return wait(seconds * 1000);
}

const HOLD_MELODY = [523, 659, 784, 659, 587, 698, 880, 698, 523, 659, 784, 1047];
const PATTERNS = {
  // Heard by a caller while the far end rings, and by a phone that rings.
  ringback: [[[425], 0.4], [[], 0.2], [[425], 0.4], [[], 2]],
  ringing: [[[400, 450], 0.4], [[], 0.2], [[400, 450], 0.4], [[], 2]],
  music: HOLD_MELODY.map((note) => [[note], 0.3]),
};

/** Stop a call's loop (a tone, hold music or a hold message). */
export function stopLoop(session) {
  loops.get(session)?.();
  loops.delete(session);
}

function loop(session, round) {
  stopLoop(session);
  let active = true;
  loops.set(session, () => {
    active = false;
  });
  (async () => {
    while (active) await round(() => active);
  })();
}

/** Play a tone pattern ('ringback', 'ringing' or 'music') until hushed. */
export function playTone(session, name) {
  loop(session, async (isActive) => {
    for (const [frequencies, seconds] of PATTERNS[name]) {
      if (!isActive()) return;
      await tone(frequencies, seconds);
    }
  });
}

/** Say a message again and again (a hold message) until hushed. */
export function sayInLoop(session, parts, players) {
  const items = pairWithPlayers(parts, players);
  loop(session, async (isActive) => {
    for (const { part, audio } of items) {
      if (!isActive()) return;
      await hear(part, audio);
    }
    await wait(PAUSE_IN_LOOP_MS);
  });
}
