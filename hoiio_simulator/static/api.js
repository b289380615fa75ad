// The simulator's control routes, as the phone page uses them.

/** POST form fields to a control route; return its JSON answer or throw its error. */
export async function control(action, fields) {
  const response = await fetch(`/_simulator/${action}`, {
    method: 'POST',
    body: new URLSearchParams(fields),
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    // Not JSON: the status says enough.
  }
  if (!response.ok) {
    throw new Error(answer.error || `the simulator answered HTTP ${response.status}`);
  }
  return answer;
}
