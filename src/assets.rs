//! The web files, compiled into the binary so one file is the whole product.

use std::sync::OnceLock;

const SNIPPET: &str = include_str!("../web/cobrowse.js");
const DOM: &str = include_str!("../web/dom.js");
const MASKING: &str = include_str!("../web/masking.js");
const WIDGET: &str = include_str!("../web/widget.js");
const VIEWPORT: &str = include_str!("../web/viewport.js");
const RECORDING: &str = include_str!("../web/recording.js");
/// What the session records of the page, and when (rrweb started and stopped under the
/// profile's masking), for the snippet's session logic.
const CAPTURE: &str = include_str!("../web/capture.js");
const ACTIONS: &str = include_str!("../web/actions.js");
const CANVAS: &str = include_str!("../web/canvas.js");
const EVENTS: &str = include_str!("../web/events.js");
/// rrweb's recorder and replayer, vendored from npm (MIT, see `web/vendor/LICENSE-rrweb`).
pub const RRWEB: &str = include_str!("../web/vendor/rrweb.min.js");
/// The agent view: a page whose one script, `agent.js`, is an ES module that imports the others
/// (each served at `/agent/{file}`, as the browser asks for them).
pub const AGENT_HTML: &str = include_str!("../web/agent/index.html");
/// The agent view's entry module: what it does at start.
pub const AGENT_JS: &str = include_str!("../web/agent/agent.js");
/// The agent view's one shared state object.
pub const AGENT_STATE_JS: &str = include_str!("../web/agent/state.js");
/// The agent view's words (English and German).
pub const AGENT_TEXT_JS: &str = include_str!("../web/agent/text.js");
/// The agent view's toolbar state, mode, status line and notices.
pub const AGENT_VIEW_JS: &str = include_str!("../web/agent/view.js");
/// The agent view's WebSocket: sign-in, connecting and reconnecting, joining, sending.
pub const AGENT_CONNECTION_JS: &str = include_str!("../web/agent/connection.js");
/// The agent view's handlers of the server's messages, by wire tag.
pub const AGENT_MESSAGES_JS: &str = include_str!("../web/agent/messages.js");
/// The agent view's canvas: the customer's screen drawn from frames.
pub const AGENT_SCREEN_JS: &str = include_str!("../web/agent/screen.js");
/// The agent view's frame reader.
pub const AGENT_FRAMES_JS: &str = include_str!("../web/agent/frames.js");
/// The agent view's pointer, keyboard and pickers.
pub const AGENT_INPUT_JS: &str = include_str!("../web/agent/input.js");
/// The size of the customer's screen on the agent's panel (100% or fitted).
pub const AGENT_ZOOM_JS: &str = include_str!("../web/agent/zoom.js");
/// The agent view's toolbar controls.
pub const AGENT_TOOLBAR_JS: &str = include_str!("../web/agent/toolbar.js");
/// The agent view's messages from an embedding contact-center workspace.
pub const AGENT_EMBEDDING_JS: &str = include_str!("../web/agent/embedding.js");
pub const AGENT_CSS: &str = include_str!("../web/agent/agent.css");
const REPLICA_HTML: &str = include_str!("../web/replica/shell.html");
const REPLICA_JS: &str = include_str!("../web/replica/replica.js");
const REPLICA_CLOCK: &str = include_str!("../web/replica/clock.js");
const REPLICA_LOOKS: &str = include_str!("../web/replica/looks.js");
/// The profile's masking, applied again in the replica before anything is rendered.
const REPLICA_MASKING: &str = include_str!("../web/replica/masking.js");
/// Scroll positions the rebuilt page could not take yet, taken again as it grows.
const REPLICA_SCROLLS: &str = include_str!("../web/replica/scrolls.js");
/// What each frame's changes repainted, so only that part of the screen is captured.
const REPLICA_DAMAGE: &str = include_str!("../web/replica/damage.js");

/// The document the replica page is given instead of the site's own, for a page whose
/// Content-Security-Policy allows scripts with `nonce` only (see `replica::page`).
pub fn replica_shell(nonce: &str) -> String {
    replica_shell_template().replace("{{NONCE}}", nonce)
}

/// The replica shell with `{{NONCE}}` where each script's nonce goes: rrweb's replayer and the
/// glue that feeds it, inlined so the page needs no further request.
fn replica_shell_template() -> &'static str {
    static SHELL: OnceLock<String> = OnceLock::new();
    SHELL.get_or_init(|| {
        // `</script` cannot appear inside the inlined code, or the document would end early.
        let guard = |js: &str| js.replace("</script", "<\\/script");
        REPLICA_HTML
            .replace("/*RRWEB*/", &guard(RRWEB))
            .replace("/*DOM*/", &guard(DOM))
            .replace("/*CLOCK*/", &guard(REPLICA_CLOCK))
            .replace("/*LOOKS*/", &guard(REPLICA_LOOKS))
            .replace("/*MASKING*/", &guard(REPLICA_MASKING))
            .replace("/*SCROLLS*/", &guard(REPLICA_SCROLLS))
            .replace("/*DAMAGE*/", &guard(REPLICA_DAMAGE))
            .replace("/*REPLICA*/", &guard(REPLICA_JS))
    })
}

/// rrweb as the snippet loads it into a site's page: under a name of its own
/// (`__cobrowseRrweb`), whatever module loader the page runs. rrweb's bundle registers itself
/// with an AMD loader (RequireJS, Dojo) or CommonJS shim when the page has one, and then never
/// becomes a global at all; a page that records with its own rrweb (an analytics tool) keeps it.
pub fn recorder() -> &'static str {
    static RECORDER: OnceLock<String> = OnceLock::new();
    RECORDER.get_or_init(|| {
        format!(
            "(function (define, module, exports) {{\nvar holder = {{}};\n(function () {{\n{RRWEB}\n}}).call(holder);\nwindow.__cobrowseRrweb = holder.rrweb;\n}}).call(window);\n"
        )
    })
}

/// The customer snippet sites embed (`/cobrowse.js`): DOM helpers, masking, canvas pictures,
/// input events, agent actions, the widget, the viewport's report, rrweb's loader, the page's
/// recording, then the session logic, in one scope so that none of them adds a global name to
/// the site's page.
pub fn snippet() -> &'static str {
    static SNIPPET_JS: OnceLock<String> = OnceLock::new();
    SNIPPET_JS
        .get_or_init(|| format!("(() => {{\n{DOM}\n{MASKING}\n{CANVAS}\n{EVENTS}\n{ACTIONS}\n{WIDGET}\n{VIEWPORT}\n{RECORDING}\n{CAPTURE}\n{SNIPPET}\n}})();\n"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shell_inlines_its_scripts() {
        let shell = super::replica_shell("n0nce");
        assert!(shell.contains("rrweb") && shell.contains("__replica"));
        assert!(!shell.contains("/*RRWEB*/") && !shell.contains("/*DOM*/") && !shell.contains("/*REPLICA*/"));
        assert!(!shell.contains("/*CLOCK*/") && !shell.contains("/*LOOKS*/"));
        assert!(!shell.contains("/*MASKING*/") && !shell.contains("/*SCROLLS*/") && !shell.contains("/*DAMAGE*/"));
        assert_eq!(shell.matches("</script>").count(), 8);
        assert_eq!(shell.matches("<script nonce=\"n0nce\">").count(), 8, "every script carries the nonce");
        assert!(!shell.contains("{{NONCE}}"));
    }

    #[test]
    fn the_agent_view_loads_one_module_that_imports_only_modules_compiled_in() {
        use super::*;
        assert!(AGENT_HTML.contains(r#"<script type="module" src="/agent/agent.js"></script>"#));
        assert_eq!(AGENT_HTML.matches("<script").count(), 1, "the other modules come by their imports");
        // Each is served at `/agent/{file}` (see `server::router`).
        let modules = [
            ("agent.js", AGENT_JS),
            ("state.js", AGENT_STATE_JS),
            ("text.js", AGENT_TEXT_JS),
            ("view.js", AGENT_VIEW_JS),
            ("connection.js", AGENT_CONNECTION_JS),
            ("messages.js", AGENT_MESSAGES_JS),
            ("screen.js", AGENT_SCREEN_JS),
            ("frames.js", AGENT_FRAMES_JS),
            ("input.js", AGENT_INPUT_JS),
            ("zoom.js", AGENT_ZOOM_JS),
            ("toolbar.js", AGENT_TOOLBAR_JS),
            ("embedding.js", AGENT_EMBEDDING_JS),
        ];
        for &(name, body) in &modules {
            assert!(body.starts_with("// "), "{name} opens with a line saying what it is");
            for rest in body.split(" from './").skip(1) {
                let imported = rest.split('\'').next().unwrap_or_default();
                let served = modules.iter().any(|&(file, _)| file == imported);
                assert!(served, "{name} imports {imported}, which is not served");
            }
        }
    }

    #[test]
    fn the_recorder_hides_from_module_loaders() {
        let recorder = super::recorder();
        assert!(recorder.starts_with("(function (define, module, exports) {"));
        assert!(recorder.contains("window.__cobrowseRrweb = holder.rrweb;"));
    }
}
