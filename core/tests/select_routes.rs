//! `dispatch::select_routes`: the core's handler choice for hosts that keep handlers in a list
//! (the JS `Router` on both backends, Python's `Router`), by index.

use hookverify::dispatch::select_routes;

#[test]
fn specific_patterns_in_order_then_star_then_unhandled() {
    let patterns = ["user.created", "user.*", "*", "issues", "user.created"];
    assert_eq!(select_routes(&patterns, false, "user.created"), [0, 1, 4]);
    assert_eq!(select_routes(&patterns, true, "user.deleted"), [1]);
    // GitHub's plain `issues` takes its dotted sub-types.
    assert_eq!(select_routes(&patterns, true, "issues.opened"), [3]);
    // `*` is a fallback: only what no specific pattern takes.
    assert_eq!(select_routes(&patterns, true, "order.paid"), [2]);
    // No match at all: the unhandled index (patterns.len()) when there is one, else nothing.
    let specific = ["user.created"];
    assert_eq!(select_routes(&specific, true, "order.paid"), [1]);
    assert!(select_routes(&specific, false, "order.paid").is_empty());
    assert!(select_routes::<&str>(&[], false, "x").is_empty());
    assert_eq!(select_routes(&Vec::<String>::new(), true, "x"), [0]);
}
