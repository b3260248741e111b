//! `diagnose`: the core's report of checks and confirmed hints, handed to Python as its JSON.

use hookverify::diagnose::{diagnose_keys as core_diagnose, PROXY_HEADERS};
use hookverify::Scheme;
use pyo3::prelude::*;

use crate::convert::{self, guard};
use crate::verifier::DETACH_ABOVE_BYTES;

/// The header names diagnose may read: the given scheme's and every preset's (detection, wrong_scheme).
fn names(scheme: Option<&Scheme>) -> convert::Names {
    let presets = Scheme::presets();
    let proxy = PROXY_HEADERS.iter().copied();
    convert::Names::new(scheme.into_iter().chain(&presets).flat_map(|s| s.header_names()).chain(proxy))
}

/// Why a delivery does (not) verify: the report as the core's one-line JSON (`hookverify.diagnose` parses it).
// The arguments are the Python function's keywords, one each.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (body, headers, *, secrets, scheme=None, now=None, url=None, method=None, public_keys=None))]
pub fn diagnose(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    headers: &Bound<'_, PyAny>,
    secrets: &Bound<'_, PyAny>,
    scheme: Option<&Bound<'_, PyAny>>,
    now: Option<&Bound<'_, PyAny>>,
    url: Option<&Bound<'_, PyAny>>,
    method: Option<&Bound<'_, PyAny>>,
    public_keys: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    guard(py, || {
        let scheme = match scheme {
            Some(s) if !s.is_none() => Some(convert::scheme(py, s)?),
            _ => None,
        };
        let secrets = convert::str_list(py, "secrets", secrets)?;
        let public_keys = match public_keys {
            Some(o) if !o.is_none() => convert::str_list(py, "public_keys", o)?,
            _ => Vec::new(),
        };
        let now = convert::now(py, now)?;
        let (url, method) = (convert::opt_str(py, "url", url)?, convert::opt_str(py, "method", method)?);
        let target = hookverify::RequestTarget::new(url.as_deref(), method.as_deref());
        let names = names(scheme.as_ref());
        let mut picked = convert::Picked::new(&names);
        picked.read(py, headers)?;
        let body = convert::body(py, body)?;
        let report = convert::maybe_detach(py, body.len() > DETACH_ABOVE_BYTES, || {
            core_diagnose(&body, &picked, &secrets, &public_keys, scheme.as_ref(), now, &target)
        });
        Ok(report.to_json())
    })
}
