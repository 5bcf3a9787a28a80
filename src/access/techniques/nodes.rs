//! Nodes: `nodes/proxy` reaches the kubelet API of a node, and with it
//! commands in every pod the node runs.

use super::found::{Found, permission, step};
use super::holder::Holder;
use super::lookup::Lookup;
use crate::access::model::{Node, Technique};

/// The kubelet API of every node, or of the named ones (cluster-wide rules only).
pub(super) fn steps(holder: &Holder<'_>, _lookup: &Lookup<'_>, ns: Option<&str>, out: &mut Found) {
    if ns.is_some() {
        return;
    }
    // The kubelet API of a node: commands in every pod it runs.
    for v in ["create", "get"] {
        let g = holder.grants(None, v, "", "nodes", "proxy");
        if let Some(all) = g.all {
            out.push((
                Node::AnyHost,
                step(
                    Technique::NodeProxy,
                    None,
                    vec![permission(v, "", "nodes", "proxy")],
                    vec![all],
                ),
            ));
            break;
        }
        for (name, ground) in g.named {
            out.push((
                Node::Host(name.to_string()),
                step(
                    Technique::NodeProxy,
                    None,
                    vec![format!("{v} nodes/proxy {name}")],
                    vec![ground],
                ),
            ));
        }
    }
}
