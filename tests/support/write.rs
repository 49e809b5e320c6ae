//! What the agent does in write mode, as a person in the agent view does it.

use super::{Tab, WIDGET};

/// The agent clicks, on the customer screen, the centre of the customer's element `js`.
pub async fn agent_clicks_on(customer: &Tab, agent: &Tab, js: &str) {
    let (x, y) = agent_points_at(customer, agent, js).await;
    agent.click(x, y).await;
}

/// The agent clicks the customer's element `js` once their own screen shows it, as a person
/// clicks what they see: a click sent before the replica has drawn an element that just
/// appeared (a calendar's day) lands on what the replica showed there.
pub async fn agent_clicks_on_when_seen(customer: &Tab, agent: &Tab, js: &str) {
    agent_sees(customer, agent, js).await;
    agent_clicks_on(customer, agent, js).await;
}

/// Waits until the customer's element `js` shows on the agent's screen: its box there matching
/// the customer's at 90% or more.
pub async fn agent_sees(customer: &Tab, agent: &Tab, js: &str) {
    let at = customer
        .wait_for(
            &format!("the customer's element {js}"),
            &format!("(() => {{ const e = ({js}); if (!e) return null; const r = e.getBoundingClientRect(); return r.width ? [r.x, r.y, r.width, r.height] : null; }})()"),
        )
        .await;
    let rect: Vec<f64> = (0..4).map(|i| at[i].as_f64().unwrap()).collect();
    let seen = super::wait_for_match(customer, agent, [rect[0], rect[1], rect[2], rect[3]], 0.9).await;
    assert!(seen >= 0.9, "the agent's screen shows {js} only {seen:.3}");
}

/// The agent moves their pointer, on the customer screen, to the centre of the customer's
/// element `js` as the customer's screen shows it (a phone's zoomed region); returns where that
/// is in the agent's tab.
pub async fn agent_points_at(customer: &Tab, agent: &Tab, js: &str) -> (f64, f64) {
    let at = customer
        .wait_for(
            &format!("the customer's element {js}"),
            &format!("(() => {{ const e = ({js}); if (!e) return null; const r = e.getBoundingClientRect(); const v = visualViewport; return r.width ? [(r.x + r.width / 2 - v.offsetLeft) * v.scale, (r.y + r.height / 2 - v.offsetTop) * v.scale] : null; }})()"),
        )
        .await;
    // The screen may be shown fitted to the agent's window: its scale is its width on the
    // agent's page over its width in the customer's CSS pixels.
    let screen = agent
        .eval("(() => { const s = document.getElementById('screen'); const r = s.getBoundingClientRect(); return [r.x, r.y, r.width / parseFloat(s.style.width || s.width)]; })()")
        .await;
    let scale = screen[2].as_f64().unwrap();
    let (x, y) = (
        at[0].as_f64().unwrap() * scale + screen[0].as_f64().unwrap(),
        at[1].as_f64().unwrap() * scale + screen[1].as_f64().unwrap(),
    );
    agent.move_mouse(x, y).await;
    (x, y)
}

/// The agent asks for write mode and the customer clicks "Allow"; returns once the agent's
/// toolbar says write mode.
pub async fn allow_write_mode(customer: &Tab, agent: &Tab) {
    agent.click_element("document.getElementById('request-write')").await;
    customer.wait_for("the customer is asked", &format!("!{WIDGET}.querySelector('[role=alertdialog]').hidden")).await;
    customer.click_element(&format!("{WIDGET}.querySelector('.allow')")).await;
    agent.wait_for("write mode", "document.getElementById('mode').textContent === 'Write mode'").await;
}
