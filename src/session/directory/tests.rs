//! The directory's claims as processes meet them: who may take a session over, and when; each
//! on one node's SQLite and on a real Redis (`redis-server`, started on a loopback port).

use std::time::Duration;

use super::*;
use crate::session::id;

use crate::test_redis::TestRedis;

const NO_LEASE: Lease = Lease { length: Duration::ZERO, renew_every: Duration::from_secs(1) };

/// A store each scenario runs on.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Redis,
}

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Redis];

/// Node "a" of a cluster on a fresh store (and the Redis it runs on, which lives as long).
async fn first_node(backend: Backend) -> (Directory, Option<TestRedis>) {
    match backend {
        Backend::Sqlite => (Directory { alone: false, ..Directory::in_memory("a") }, None),
        Backend::Redis => {
            let redis = TestRedis::start();
            let a = Directory::connect(&redis.url, "a", Duration::from_secs(3600)).await.expect("Redis answers");
            (a, Some(redis))
        }
    }
}

/// Node `node` of a cluster, on the same store as `other`.
fn node(other: &Directory, node: &str) -> Directory {
    Directory { me: Owner { node: node.into(), instance: id::new_token() }, alone: false, ..other.clone() }
}

#[tokio::test]
async fn ids_are_unique_and_tokens_are_kept_as_digests_only() {
    for backend in BACKENDS {
        let (a, _redis) = first_node(backend).await;
        assert!(a.insert(a.new_record("123456789", "secret-token", "https://shop.example")).await.unwrap());
        let again = a.new_record("123456789", "other-token", "https://shop.example");
        assert!(!a.insert(again).await.unwrap(), "{backend:?}: ID taken");
        let found = a.by_token("secret-token").await.unwrap().expect("found by its token");
        assert_eq!(found.id, "123456789");
        assert!(!serde_json::to_string(&found).unwrap().contains("secret-token"), "the token itself is not stored");
        assert_eq!(a.by_token("wrong-token").await.unwrap(), None);
        assert_eq!(a.get("987654321").await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_live_owner_keeps_its_session_and_a_restarted_one_takes_it_back_at_once() {
    for backend in BACKENDS {
        let (a, _redis) = first_node(backend).await;
        a.insert(a.new_record("123456789", "t", "https://shop.example")).await.unwrap();
        assert!(matches!(a.claim("123456789").await.unwrap(), Claim::Won(_)), "its own session");
        let b = node(&a, "b");
        assert_eq!(b.claim("123456789").await.unwrap(), Claim::Held(a.me().clone()), "{backend:?}: the lease runs");
        let a_again = a.as_new_instance();
        let Claim::Won(record) = a_again.claim("123456789").await.unwrap() else { panic!("restarted node") };
        assert_eq!(&record.owner, a_again.me());
        assert!(!a.publish((*record).clone()).await.unwrap(), "{backend:?}: the old instance has lost it");
        assert!(a_again.publish(*record).await.unwrap());
        assert_eq!(b.claim("987654321").await.unwrap(), Claim::Unknown);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_nodes_claiming_a_lapsed_session_at_once_exactly_one_wins() {
    let folder = std::env::temp_dir().join(format!("cobrowse-directory-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let redis = TestRedis::start();
    for backend in BACKENDS {
        // Each node with its own connection to the store, as servers on their own machines.
        let open = |name: &'static str| {
            let (folder, url) = (folder.clone(), redis.url.clone());
            async move {
                let directory = match backend {
                    Backend::Sqlite => Directory::open(&folder, name, Duration::from_secs(60)).unwrap(),
                    Backend::Redis => Directory::connect(&url, name, Duration::from_secs(60)).await.unwrap(),
                };
                Directory { alone: false, ..directory }
            }
        };
        let (a, b, c) = (open("a").await, open("b").await, open("c").await);
        for round in 0..20 {
            let id = format!("{round:09}");
            let mut record = a.new_record(&id, &format!("t{round}"), "https://shop.example");
            record.lease_until_ms = now_ms() - 1;
            assert!(a.insert(record).await.unwrap());
            let claim = |d: &Directory| {
                let (d, id) = (d.clone(), id.clone());
                tokio::spawn(async move { d.claim(&id).await.unwrap() })
            };
            let (by_b, by_c) = (claim(&b), claim(&c));
            let (by_b, by_c) = (by_b.await.unwrap(), by_c.await.unwrap());
            let won = [&by_b, &by_c].into_iter().filter(|c| matches!(c, Claim::Won(_))).count();
            assert_eq!(won, 1, "{backend:?}: {by_b:?} {by_c:?}");
            let owner = a.get(&id).await.unwrap().unwrap().owner;
            assert!(owner == *b.me() || owner == *c.me());
        }
    }
    let _ = std::fs::remove_dir_all(&folder);
}

#[tokio::test]
async fn an_ended_or_abandoned_session_cannot_be_claimed() {
    for backend in BACKENDS {
        let (mut a, _redis) = first_node(backend).await;
        a.insert(a.new_record("111111111", "t1", "https://shop.example")).await.unwrap();
        let mut ended = a.get("111111111").await.unwrap().unwrap();
        ended.state = PublicState::Ended;
        assert!(a.publish(ended).await.unwrap());
        assert_eq!(node(&a, "b").claim("111111111").await.unwrap(), Claim::Ended, "{backend:?}");
        let again = a.new_record("111111111", "t9", "https://shop.example");
        assert!(!a.insert(again).await.unwrap(), "{backend:?}: ID not reissued");

        a.lease = NO_LEASE;
        a.abandoned_after = Duration::ZERO;
        a.insert(a.new_record("222222222", "t2", "https://shop.example")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(node(&a, "b").claim("222222222").await.unwrap(), Claim::Ended, "{backend:?}: nobody came back");
        assert!(a.get("222222222").await.unwrap().unwrap().ended());
    }
}

#[tokio::test]
async fn alone_on_its_data_folder_a_server_takes_back_what_it_ran_under_another_name() {
    // A container recreated with a new host name is still the only server on its volume.
    let before = Directory::in_memory("old-host:8080");
    before.insert(before.new_record("123456789", "t", "https://shop.example")).await.unwrap();
    let after = Directory { me: Owner { node: "new-host:8080".into(), instance: id::new_token() }, ..before.clone() };
    assert!(matches!(after.claim("123456789").await.unwrap(), Claim::Won(_)));
}

#[tokio::test]
async fn a_redis_that_does_not_answer_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let err = Directory::connect(&format!("redis://127.0.0.1:{port}/0"), "a", Duration::from_secs(60)).await.err();
    let text = err.expect("nothing listens there").to_string();
    assert!(text.contains("Redis"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10), "gave up in {:?}", started.elapsed());
}
