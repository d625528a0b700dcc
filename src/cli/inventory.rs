//! `segcopy inventory [--json]`: every resource of the `--site` file, its
//! state (usable, in use, unusable) and who holds it for which stream;
//! `segcopy inventory set RESOURCE unusable|usable [--reason TEXT]`.

use segcopy::catalog::{Lease, Store};
use segcopy::inventory::{Inventory, State};
use segcopy::site::Loaded;

use super::{columns, exit, out, out_json, Failed};

/// Arguments of `inventory`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the resources as JSON.
    #[arg(long)]
    json: bool,

    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Mark a resource unusable (the selector leaves it out) or usable
    /// again.
    Set {
        /// A resource's name: a device, a switch, a tape's barcode, a
        /// link (`A--B`).
        resource: String,
        /// `unusable` or `usable`.
        state: Mark,
        /// Why it is unusable (shown by `segcopy inventory`).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Mark {
    Unusable,
    Usable,
}

/// Runs `inventory`; `catalog` is the global `--catalog URL`, if given.
pub fn run(a: Args, catalog: Option<&str>) -> Result<(), Failed> {
    let Some(loaded) = super::site::get() else {
        return Err(Failed::new(
            exit::SYNTAX,
            "segcopy inventory needs --site FILE: the resources come from the site file",
        ));
    };
    let store = super::store::open(catalog)?;
    let mut inv = Inventory::from_site(&loaded.site);
    match a.action {
        None => list(loaded, &mut inv, store.as_ref(), a.json),
        Some(Action::Set {
            resource,
            state,
            reason,
        }) => set(loaded, &inv, store.as_ref(), &resource, state, reason),
    }
}

/// Lists every resource, after releasing what dead holders of this host
/// left behind.
fn list(loaded: &Loaded, inv: &mut Inventory, store: &dyn Store, json: bool) -> Result<(), Failed> {
    let me = segcopy::catalog::process::this_process("segcopy inventory", None);
    let gone = store
        .reap(&|h| segcopy::catalog::process::local_alive(h, &me.host))
        .map_err(super::store::failed)?;
    for (h, held) in gone {
        log::warn!(
            "released what {h} held ({}): its process is gone",
            held.join(", ")
        );
    }
    inv.load_state(store).map_err(super::store::failed)?;
    if json {
        return out_json(&inv.resources());
    }
    let mut rows = Vec::new();
    for r in inv.resources() {
        let first = vec![r.name.clone(), r.kind.to_string()];
        match &r.state {
            State::Usable => {
                rows.push([first, vec!["usable".into(), String::new(), String::new()]].concat())
            }
            State::Unusable(why) => rows.push(
                [
                    first,
                    vec![format!("unusable: {why}"), String::new(), String::new()],
                ]
                .concat(),
            ),
            State::InUse(leases) => {
                for (i, (holder, streams)) in by_holder(leases).into_iter().enumerate() {
                    let lead = if i == 0 {
                        [first.clone(), vec!["in use".into()]].concat()
                    } else {
                        vec![String::new(); 3]
                    };
                    rows.push([lead, vec![holder, streams]].concat());
                }
            }
        }
    }
    out(&format!(
        "{} ({}):\n",
        loaded.site.path.display(),
        store.location()
    ));
    out(&columns(
        &["NAME", "KIND", "STATE", "HOLDER", "STREAM"],
        rows,
        0,
    ));
    Ok(())
}

/// Leases grouped by holder: the holder in words, its streams ("0,1").
fn by_holder(leases: &[Lease]) -> Vec<(String, String)> {
    let mut v: Vec<(i64, String, Vec<String>)> = Vec::new();
    for l in leases {
        let s = l.stream.to_string();
        match v.iter_mut().find(|(id, _, _)| *id == l.holder.id) {
            Some((_, _, streams)) => streams.push(s),
            None => v.push((l.holder.id, l.holder.to_string(), vec![s])),
        }
    }
    v.into_iter().map(|(_, h, s)| (h, s.join(","))).collect()
}

/// Marks a resource unusable or usable.
fn set(
    loaded: &Loaded,
    inv: &Inventory,
    store: &dyn Store,
    name: &str,
    mark: Mark,
    reason: Option<String>,
) -> Result<(), Failed> {
    if inv.get(name).is_none() {
        return Err(Failed::new(
            exit::SYNTAX,
            format!(
                "{name} is not a resource of {}; known: {}",
                loaded.site.path.display(),
                inv.names().join(", ")
            ),
        ));
    }
    match mark {
        Mark::Unusable => {
            let why = reason.unwrap_or_else(|| "marked by hand".to_string());
            store
                .set_unusable(name, Some(&why))
                .map_err(super::store::failed)?;
            out(&format!("{name} is now unusable: {why}\n"));
        }
        Mark::Usable => {
            store
                .set_unusable(name, None)
                .map_err(super::store::failed)?;
            out(&format!("{name} is now usable\n"));
        }
    }
    Ok(())
}
