//! The session actor and the session directory, on simulated time: the record follows the
//! session, and a session another process took over is let go without ending.

use super::*;
use crate::session::directory::{Claim, SessionRecord};
use crate::session::Lookup;
use crate::wire::PublicState;

/// The directory's record of the scene's session, once it shows `until`.
async fn record_until(scene: &Scene, until: impl Fn(&SessionRecord) -> bool) -> SessionRecord {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let record = scene.services.directory.get(&scene.session.id).await.unwrap().expect("the session is recorded");
        if until(&record) {
            return record;
        }
        assert!(Instant::now() < deadline, "the record never showed it: {record:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn the_directory_follows_the_session_so_another_process_can_take_it_over() {
    let scene = scene(TIMINGS).await;
    let mut customer = customer(&scene).await;
    let _agent = agent(&scene, "a-7").await;
    let record = record_until(&scene, |r| r.state == PublicState::Active).await;
    assert_eq!(record.agent.as_ref().map(|a| a.id.as_str()), Some("a-7"));
    assert_eq!(record.first_joined.as_ref().map(|(_, a)| a.as_str()), Some("a-7"));
    scene.session.customer(customer.conn, FromCustomerConn::End).await;
    customer.until(|m| matches!(m, ToCustomer::Ended { .. })).await;
    record_until(&scene, |r| r.state == PublicState::Ended).await;
}

#[tokio::test(start_paused = true)]
async fn a_session_another_process_took_over_is_let_go_without_ending() {
    let scene = scene(TIMINGS).await;
    let (link, mut messages, _p) = ClientLink::<ToCustomer>::new();
    let hung_up = link.hang_up.clone();
    scene.session.attach_customer(link, None).await.expect("attaches");
    // Another process (this node restarted, as far as the directory can tell) claims it.
    let other = scene.services.directory.as_new_instance();
    assert!(matches!(other.claim(&scene.session.id).await.unwrap(), Claim::Won(_)));
    // At its next renewal this process sees it lost the session, and closes its connections.
    tokio::time::timeout(Duration::from_secs(30), hung_up.notified()).await.expect("the customer is hung up on");
    while let Ok(message) = messages.try_recv() {
        assert!(!matches!(message, ToCustomer::Ended { .. }), "the customer is not told it ended");
    }
    let record = scene.services.directory.get(&scene.session.id).await.unwrap().unwrap();
    assert_eq!((&record.owner, record.state), (other.me(), PublicState::Waiting), "it lives on over there");
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(matches!(scene.registry.lookup(&scene.session.id), Lookup::Unknown), "forgotten here, not ended");
}
