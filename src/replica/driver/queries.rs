//! The session's questions about the page as it is: whether the agent's pointer rests on
//! something hidden, and what an agent's action would land on (every hit-test is answered).

use super::Driver;
use crate::replica::{ReplicaQuery, ReplicaReport};
use crate::wire::ErrorCode;

impl Driver {
    /// Answers a question about the page as the customer's changes so far left it.
    pub(super) async fn answer(&mut self, query: ReplicaQuery) {
        self.apply_waiting().await;
        let outcome = match query {
            ReplicaQuery::HitTest { seq, action } => {
                let outcome = match &self.page {
                    Some(page) => match page.hit_test(&action).await {
                        Ok(outcome) => Ok(outcome),
                        Err(crate::replica::ReplicaError::Script(e)) => {
                            tracing::warn!(session = %self.session, error = %e, "replica could not hit-test an action");
                            Ok(Err(ErrorCode::NoTarget))
                        }
                        Err(e) => Err(e),
                    },
                    None => Ok(Err(ErrorCode::NoTarget)),
                };
                // Every hit-test is answered, even when the page failed, so no action waits forever.
                let answer = outcome.as_ref().map(|o| o.clone()).unwrap_or(Err(ErrorCode::NoTarget));
                let _ = self.reports.send(ReplicaReport::HitTested { seq, outcome: answer }).await;
                outcome.map(|_| ())
            }
            ReplicaQuery::Probe { x, y } => match &self.page {
                Some(page) => match page.probe(x, y).await {
                    Ok(found) => {
                        if found != self.pointer_over {
                            self.pointer_over = found;
                            let _ = self.reports.try_send(ReplicaReport::PointerOver(found));
                        }
                        Ok(())
                    }
                    Err(crate::replica::ReplicaError::Script(e)) => {
                        tracing::warn!(session = %self.session, error = %e, "replica could not hit-test");
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
                None => Ok(()),
            },
        };
        if let Err(e) = outcome {
            self.failed(e).await;
        }
    }
}
