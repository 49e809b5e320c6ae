// Agent view: joins a session by ID, draws the customer's screen from the server's frames,
// shows the customer's pointer and sends the agent's. Wire messages mirror src/wire/mod.rs.
//
// The entry module: index.html loads only this one, and the browser fetches the rest by their
// imports. The modules import each other in a ring (a message joins, a join leaves the session,
// leaving clears the screen), so none of them does anything when it is loaded beyond looking
// up its elements (screen.js also sets up the zoom and the agent's input); what the view does
// at start happens here, in this order. The view adds no global name: nothing outside it
// (tests, the workspace) reaches into it, and a workspace speaks to it by postMessage only.
import { $, translatePage } from './view.js';
import { params, takeToken, join, connect } from './connection.js';
import { setUpToolbar } from './toolbar.js';
import { setUpEmbedding } from './embedding.js';

translatePage();
takeToken();
setUpToolbar();
setUpEmbedding();

const wanted = params.get('session');
if (wanted) { $('session-id').value = wanted; join(wanted, { interaction: params.get('interaction'), watch: params.get('watch') === '1' }); }
else connect();
