// The agent view's one shared state: every value that changes while the view is open, in one
// object the modules read and write, so what the view is at is in one place.
export const state = {
  // Signing in and the connection (connection.js).
  token: null, // the agent's token, from the URL's fragment, the workspace or this tab's storage
  socket: null, // the one WebSocket, or null between connections
  opened: false, // whether `socket` opened: a socket refused before opening is asked why
  pending: null, // a join to send as soon as the socket is open
  role: 'agent', // 'agent' or 'supervisor', as `hello` says

  // The session (messages.js, view.js).
  sessionId: null, // the joined session's ID, or null outside a session
  watching: false, // a supervisor watching: view only
  mode: 'pointer', // 'pointer' or 'write'
  writeAllowed: false, // whether the pencil may ask the customer for write mode
  asking: false, // a write-mode request waits for the customer's answer
  site: null, // the customer's origin: typed addresses are read relative to it

  // The customer's screen (screen.js).
  frames: 0, // frames drawn in this session (also the canvas's `data-frames`)
  cssSize: null, // the customer's window in CSS pixels, { width, height }
  drawing: Promise.resolve(), // the frames still to draw, each after the one before

  // Notices beside the agent's pointer (view.js).
  lastPointer: { x: 0, y: 0 }, // the agent's pointer on the screen, in the screen's CSS pixels
  statusBeforeHint: null, // the status line a hint replaced, put back when the pointer moves off
  refusalTimer: null, // hides the refusal shown beside the pointer
};
