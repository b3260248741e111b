//! The receiver of a JS options object, shared by the napi and wasm bindings (the wasm crate
//! includes this file). Every option and its rule is the core's `ReceiverConfig`; handlers stay in
//! JS: the core's `Receiver<usize>` holds each route's index into the JS handler list.

use hookverify::dedup::Store;
use hookverify::{Receiver, ReceiverConfig, Result};

/// A built receiver and the lowercase header names JS packs values for (in this order).
pub(crate) fn build_receiver(options_json: &str, store: Box<dyn Store>) -> Result<(Receiver<usize>, Vec<String>)> {
    let r = ReceiverConfig::from_json(options_json)?.build(store)?;
    let names = r.header_names().into_iter().map(|n| n.to_ascii_lowercase()).collect();
    Ok((r, names))
}
