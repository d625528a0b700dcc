//! The route selection processor (the patent's 402): a path over links
//! and switches from a mover to each end of its copy.
//!
//! Only switches carry traffic through; a device is an end, never a hop.
//! A switch or a link that may not be used (unusable, or held exclusively
//! by another holder) cuts the graph. Among the usable paths the cheapest
//! wins, each hop costing 1 plus whatever the caller adds (the selector
//! adds a penalty for switches and links another stream of the same
//! backup already crosses, so streams spread over disjoint switches);
//! ties go to the path found first in name order, so the same inventory
//! always gives the same route.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::inventory::{link_name, Inventory, Kind, Resource};

/// The cheapest path from `from` to `to`: the links and switches it
/// crosses, in order (empty when `from` is `to`), or `None` when no usable
/// path joins them. `passable` says whether a switch or link may be
/// crossed; `extra` is the cost added for crossing a switch or link.
pub fn path(
    inv: &Inventory,
    from: &str,
    to: &str,
    passable: &dyn Fn(&Resource) -> bool,
    extra: &dyn Fn(&str) -> u32,
) -> Option<Vec<String>> {
    if from == to {
        return Some(Vec::new());
    }
    let can = |name: &str| inv.get(name).is_some_and(passable);
    let mut best: HashMap<String, u64> = HashMap::new();
    let mut prev: HashMap<String, (String, String)> = HashMap::new();
    let mut heap = BinaryHeap::new();
    let mut seq: u64 = 0;
    best.insert(from.to_string(), 0);
    heap.push(Reverse((0u64, seq, from.to_string())));
    while let Some(Reverse((cost, _, node))) = heap.pop() {
        if best.get(&node).is_some_and(|&c| c < cost) {
            continue;
        }
        if node == to {
            break;
        }
        // Only the start and switches lead on.
        if node != from && inv.get(&node).map(|r| r.kind) != Some(Kind::Switch) {
            continue;
        }
        for next in inv.neighbours(&node) {
            let link = link_name(&node, next);
            if !can(&link) {
                continue;
            }
            let is_switch = inv.get(next).map(|r| r.kind) == Some(Kind::Switch);
            if next != to && !is_switch {
                continue;
            }
            if is_switch && !can(next) {
                continue;
            }
            let mut c = cost + 1 + u64::from(extra(&link));
            if is_switch {
                c += 1 + u64::from(extra(next));
            }
            if best.get(next).is_none_or(|&b| c < b) {
                best.insert(next.to_string(), c);
                prev.insert(next.to_string(), (node.clone(), link));
                seq += 1;
                heap.push(Reverse((c, seq, next.to_string())));
            }
        }
    }
    if !best.contains_key(to) {
        return None;
    }
    let mut hops = Vec::new();
    let mut at = to.to_string();
    while at != from {
        let (p, link) = prev.get(&at)?.clone();
        hops.push(link);
        if p != from {
            hops.push(p.clone());
        }
        at = p;
    }
    hops.reverse();
    Some(hops)
}

/// Appends the hops of `more` not yet in `route`, keeping order.
pub fn join(route: &mut Vec<String>, more: Vec<String>) {
    for h in more {
        if !route.contains(&h) {
            route.push(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::State;
    use crate::site::Site;
    use std::path::Path;

    fn inv(text: &str) -> Inventory {
        Inventory::from_site(&Site::parse(Path::new("t.toml"), text).unwrap())
    }

    const SQUARE: &str = r#"
[[switch]]
name = "a"
links = ["b", "c"]
[[switch]]
name = "b"
links = ["d"]
[[switch]]
name = "c"
links = ["d"]
[[switch]]
name = "d"
[[copy_manager]]
name = "cm"
links = ["a"]
[[drive]]
name = "dr"
links = ["d"]
[[disk]]
name = "x"
capacity = 4096
links = ["a"]
"#;

    fn usable(r: &Resource) -> bool {
        !matches!(r.state, State::Unusable(_))
    }

    #[test]
    fn shortest_first_in_name_order() {
        let inv = inv(SQUARE);
        let p = path(&inv, "cm", "dr", &usable, &|_| 0).unwrap();
        assert_eq!(p, ["a--cm", "a", "a--b", "b", "b--d", "d", "d--dr"]);
        assert_eq!(
            path(&inv, "cm", "x", &usable, &|_| 0).unwrap(),
            ["a--cm", "a", "a--x"]
        );
        assert_eq!(
            path(&inv, "cm", "cm", &usable, &|_| 0).unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_penalty_steers_and_a_cut_blocks() {
        let inv = inv(SQUARE);
        let p = path(&inv, "cm", "dr", &usable, &|n| u32::from(n == "b") * 10).unwrap();
        assert!(p.contains(&"c".to_string()), "{p:?}");
        let no_b = |r: &Resource| r.name != "b";
        let p = path(&inv, "cm", "dr", &no_b, &|_| 0).unwrap();
        assert_eq!(p, ["a--cm", "a", "a--c", "c", "c--d", "d", "d--dr"]);
        let no_bc = |r: &Resource| r.name != "b" && r.name != "c--d";
        assert_eq!(path(&inv, "cm", "dr", &no_bc, &|_| 0), None);
    }

    #[test]
    fn devices_are_not_hops() {
        // x is cabled to a and (through e) to dr, but a path may not pass
        // through x.
        let inv = inv(r#"
[[switch]]
name = "a"
[[switch]]
name = "e"
[[copy_manager]]
name = "cm"
links = ["a"]
[[disk]]
name = "x"
capacity = 4096
links = ["a", "e"]
[[drive]]
name = "dr"
links = ["e"]
"#);
        assert_eq!(path(&inv, "cm", "dr", &usable, &|_| 0), None);
        assert!(path(&inv, "cm", "x", &usable, &|_| 0).is_some());
    }

    #[test]
    fn join_keeps_order_and_drops_repeats() {
        let mut r = vec!["a".to_string(), "b".to_string()];
        join(&mut r, vec!["b".into(), "c".into()]);
        assert_eq!(r, ["a", "b", "c"]);
    }
}
