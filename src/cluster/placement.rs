//! Where a new session goes: the node with the most headroom, this one when it is as good as
//! any (its own connection then needs no relay). A pure decision over the nodes' last beats.

use super::NodeBeat;

/// Where a new session is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Here,
    There(NodeBeat),
    /// This node drains and no other takes sessions: the customer is told "busy".
    Nowhere,
}

/// Places a session from `here` (this node's beat, as it would send it now) among `others`.
pub fn place(here: &NodeBeat, others: &[NodeBeat]) -> Placement {
    let best = others
        .iter()
        .filter(|n| !n.draining && n.headroom > 0)
        .max_by(|a, b| a.headroom.cmp(&b.headroom).then_with(|| b.node.cmp(&a.node)));
    match best {
        Some(best) if here.draining || here.headroom < best.headroom => Placement::There(best.clone()),
        // This node refuses with its own reason (full, busy) when no node has room.
        _ if !here.draining => Placement::Here,
        _ => Placement::Nowhere,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, headroom: usize, draining: bool) -> NodeBeat {
        NodeBeat {
            node: name.into(),
            instance: "i".into(),
            advertise: format!("{name}:8080"),
            sessions: 10 - headroom.min(10),
            headroom,
            draining,
        }
    }

    /// This node's (headroom, draining), the others' (name, headroom, draining), where it goes.
    type Row<'a> = ((usize, bool), &'a [(&'a str, usize, bool)], Option<&'a str>);

    #[test]
    fn the_node_with_the_most_headroom_takes_the_session() {
        let table: &[Row] = &[
            ((5, false), &[], Some("here")),
            ((5, false), &[("b", 5, false)], Some("here")),
            ((5, false), &[("b", 6, false)], Some("b")),
            ((5, false), &[("b", 9, true)], Some("here")),
            ((0, false), &[("b", 1, false), ("c", 3, false)], Some("c")),
            ((0, false), &[("b", 0, false)], Some("here")),
            ((9, true), &[("b", 1, false)], Some("b")),
            ((9, true), &[("b", 0, false), ("c", 4, true)], None),
            ((2, false), &[("c", 4, false), ("b", 4, false)], Some("b")),
        ];
        for ((headroom, draining), others, expected) in table {
            let here = node("here", *headroom, *draining);
            let others: Vec<NodeBeat> = others.iter().map(|(n, h, d)| node(n, *h, *d)).collect();
            let got = match place(&here, &others) {
                Placement::Here => Some("here".to_string()),
                Placement::There(n) => Some(n.node),
                Placement::Nowhere => None,
            };
            assert_eq!(got.as_deref(), *expected, "here {headroom} draining {draining}, others {others:?}");
        }
    }
}
