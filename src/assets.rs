//! The web files, compiled into the binary so one file is the whole product.

use std::sync::OnceLock;

const SNIPPET: &str = include_str!("../web/cobrowse.js");
const DOM: &str = include_str!("../web/dom.js");
const MASKING: &str = include_str!("../web/masking.js");
const WIDGET: &str = include_str!("../web/widget.js");
const ACTIONS: &str = include_str!("../web/actions.js");
/// rrweb's recorder and replayer, vendored from npm (MIT, see `web/vendor/LICENSE-rrweb`).
pub const RRWEB: &str = include_str!("../web/vendor/rrweb.min.js");
/// The agent view.
pub const AGENT_HTML: &str = include_str!("../web/agent/index.html");
pub const AGENT_JS: &str = include_str!("../web/agent/agent.js");
/// The agent view's words (English and German).
pub const AGENT_TEXT_JS: &str = include_str!("../web/agent/text.js");
/// The agent view's frame reader.
pub const AGENT_FRAMES_JS: &str = include_str!("../web/agent/frames.js");
pub const AGENT_CSS: &str = include_str!("../web/agent/agent.css");
const REPLICA_HTML: &str = include_str!("../web/replica/shell.html");
const REPLICA_JS: &str = include_str!("../web/replica/replica.js");
const REPLICA_CLOCK: &str = include_str!("../web/replica/clock.js");

/// The document the replica page is given instead of the site's own: rrweb's replayer and the
/// glue that feeds it, inlined so the page needs no further request.
pub fn replica_shell() -> &'static str {
    static SHELL: OnceLock<String> = OnceLock::new();
    SHELL.get_or_init(|| {
        // `</script` cannot appear inside the inlined code, or the document would end early.
        let guard = |js: &str| js.replace("</script", "<\\/script");
        REPLICA_HTML
            .replace("/*RRWEB*/", &guard(RRWEB))
            .replace("/*DOM*/", &guard(DOM))
            .replace("/*CLOCK*/", &guard(REPLICA_CLOCK))
            .replace("/*REPLICA*/", &guard(REPLICA_JS))
    })
}

/// The customer snippet sites embed (`/cobrowse.js`): DOM helpers, masking, agent actions, the widget, then
/// the session logic, in one scope so that none of them adds a global name to the site's page.
pub fn snippet() -> &'static str {
    static SNIPPET_JS: OnceLock<String> = OnceLock::new();
    SNIPPET_JS.get_or_init(|| format!("(() => {{\n{DOM}\n{MASKING}\n{ACTIONS}\n{WIDGET}\n{SNIPPET}\n}})();\n"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shell_inlines_its_scripts() {
        let shell = super::replica_shell();
        assert!(shell.contains("rrweb") && shell.contains("__replica"));
        assert!(!shell.contains("/*RRWEB*/") && !shell.contains("/*DOM*/") && !shell.contains("/*REPLICA*/"));
        assert!(!shell.contains("/*CLOCK*/"));
        assert_eq!(shell.matches("</script>").count(), 4);
    }
}
