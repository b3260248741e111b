//! The [`Router`]: which handlers an event type goes to.
//!
//! Patterns: an exact type (`user.created`), a prefix wildcard (`user.*`,
//! matching `user.created` and `user.deleted.soft` but not `user`), and `*`
//! (a fallback: see below). A plain name also matches its dotted sub-types, so
//! GitHub's `issues` matches `issues.opened`. The router only names handlers;
//! each binding invokes its own callables.
//!
//! Which handlers run, in this order of preference: every handler whose
//! specific pattern (exact or `prefix.*`) matches; if none, every `*` handler;
//! if none, the [`unhandled`](Router::unhandled) handler. `*` is a fallback,
//! never an extra handler beside a specific one.

/// A compiled type pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pattern {
    /// `*`: every type.
    Any,
    /// `name.*`: every type under `name.` (stored without the `*`, with the dot).
    Prefix(String),
    /// `name`: exactly `name`, or `name.` followed by anything.
    Exact(String),
}

impl Pattern {
    /// Parses `*`, `prefix.*` or an exact type.
    pub fn parse(pattern: &str) -> Pattern {
        if pattern == "*" {
            Pattern::Any
        } else if let Some(prefix) = pattern.strip_suffix('*').filter(|p| p.ends_with('.')) {
            Pattern::Prefix(prefix.to_owned())
        } else {
            Pattern::Exact(pattern.to_owned())
        }
    }

    /// Whether `event_type` matches.
    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Prefix(prefix) => event_type.len() > prefix.len() && event_type.starts_with(prefix.as_str()),
            Pattern::Exact(name) => {
                event_type == name
                    || (event_type.len() > name.len() && event_type.starts_with(name.as_str()) && event_type.as_bytes()[name.len()] == b'.')
            }
        }
    }
}

/// Maps event types to handlers of any type `H` (closures, indexes into a host-language list, …).
#[derive(Debug, Clone)]
pub struct Router<H> {
    routes: Vec<(Pattern, H)>,
    unhandled: Option<H>,
}

impl<H> Default for Router<H> {
    fn default() -> Self {
        Router { routes: Vec::new(), unhandled: None }
    }
}

impl<H> Router<H> {
    /// An empty router.
    pub fn new() -> Self {
        Router::default()
    }

    /// Adds a handler for a pattern; several handlers may share a pattern or match one type.
    pub fn on(&mut self, pattern: &str, handler: H) -> &mut Self {
        self.routes.push((Pattern::parse(pattern), handler));
        self
    }

    /// Sets the handler chosen when no pattern matches.
    pub fn unhandled(&mut self, handler: H) -> &mut Self {
        self.unhandled = Some(handler);
        self
    }

    /// Handlers for `event_type`, in registration order: the specific ones that match, else the
    /// `*` ones, else the unhandled fallback (see the module docs).
    pub fn matches(&self, event_type: &str) -> Vec<&H> {
        let found: Vec<&H> = self.select(event_type, |_| true).collect();
        if found.is_empty() {
            self.unhandled.iter().collect()
        } else {
            found
        }
    }

    /// The handlers for `event_type` among those `keep` accepts: the specific patterns that match,
    /// else the `*` ones (no unhandled fallback). The receiver filters by provider and path here,
    /// so a `*` of another scope never hides this scope's fallback.
    pub(crate) fn select<'a: 'b, 'b>(&'a self, event_type: &'b str, keep: impl Fn(&H) -> bool + 'b) -> impl Iterator<Item = &'a H> + 'b {
        // One pass to learn whether a specific pattern takes it, one to yield: no allocation here.
        let specific = self.routes.iter().any(|(p, h)| *p != Pattern::Any && p.matches(event_type) && keep(h));
        self.routes.iter().filter(move |(p, h)| (*p != Pattern::Any) == specific && p.matches(event_type) && keep(h)).map(|(_, h)| h)
    }

    /// Whether any route (or the fallback) would take `event_type`.
    pub fn handles(&self, event_type: &str) -> bool {
        self.unhandled.is_some() || self.routes.iter().any(|(p, _)| p.matches(event_type))
    }

    /// Number of routes (the fallback not counted).
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether no route was added.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// The handler indexes an event of `event_type` goes to, for a host language that keeps its
/// handlers in a list: route `i` is `patterns[i]`, and when `unhandled` the fallback is index
/// `patterns.len()`. [`Router::matches`] of that router, in registration order.
pub fn select_routes<S: AsRef<str>>(patterns: &[S], unhandled: bool, event_type: &str) -> Vec<usize> {
    let mut router = Router::new();
    for (i, p) in patterns.iter().enumerate() {
        router.on(p.as_ref(), i);
    }
    if unhandled {
        router.unhandled(patterns.len());
    }
    router.matches(event_type).into_iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let cases = [
            ("user.created", "user.created", true),
            ("user.created", "user.created.v2", true),
            ("user.created", "user.createdx", false),
            ("user.*", "user.created", true),
            ("user.*", "user", false),
            ("user.*", "users.created", false),
            ("issues", "issues.opened", true),
            ("issues", "issues", true),
            ("issues", "issue_comment.created", false),
            ("*", "anything", true),
            ("orders/create", "orders/create", true),
        ];
        for (pattern, ty, want) in cases {
            assert_eq!(Pattern::parse(pattern).matches(ty), want, "{pattern} vs {ty}");
        }
    }

    #[test]
    fn several_handlers_in_order_and_fallback() {
        let mut r = Router::new();
        r.on("user.created", 1).on("user.*", 2).on("*", 3).on("invoice.paid", 4).on("*", 5);
        // `*` is a fallback: never beside a specific match, every `*` (in order) when none matched.
        assert_eq!(r.matches("user.created"), [&1, &2]);
        assert_eq!(r.matches("invoice.paid"), [&4]);
        assert_eq!(r.matches("other"), [&3, &5]);
        let mut star_and_unhandled = Router::new();
        star_and_unhandled.on("*", 1).unhandled(9);
        assert_eq!(star_and_unhandled.matches("x"), [&1], "`*` comes before the unhandled handler");
        let mut only = Router::new();
        only.on("user.created", 1).unhandled(9);
        assert_eq!(only.matches("other"), [&9]);
        assert!(only.handles("other"));
        let mut none: Router<i32> = Router::new();
        none.on("a", 1);
        assert!(none.matches("b").is_empty());
        assert!(!none.handles("b"));
    }
}
