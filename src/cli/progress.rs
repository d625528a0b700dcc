//! What a long command says as it goes: a progress bar on a terminal
//! (segments, bytes, rate, stream, failovers), one plain line per event
//! otherwise — both on stderr, so `--json` on stdout stays clean.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use segcopy::catalog::{Place, SegmentRecord};
use segcopy::engine::backup::{Event, Observer};

/// The engine's events, shown.
pub struct Progress {
    bar: Option<ProgressBar>,
    state: Mutex<State>,
    /// Whether to print a line for every segment without a bar.
    per_segment: bool,
}

#[derive(Default)]
struct State {
    failovers: u32,
    stream: Option<u8>,
}

/// Where a segment is, in a few words.
pub fn place_words(p: &Place) -> String {
    match p {
        Place::Tape {
            barcode,
            first_block: Some(f),
            last_block: Some(l),
            verified,
            ..
        } => format!(
            "tape {barcode} blocks {f}-{l}{}",
            if *verified { "" } else { " (computed)" }
        ),
        Place::Tape { barcode, .. } => {
            format!("tape {barcode} (position not reported by the drive)")
        }
        Place::Disk { disk, lba, .. } => format!("disk {disk}@{lba}"),
    }
}

impl Progress {
    /// A bar when stderr is a terminal and `quiet` is false; lines
    /// otherwise (every segment when `per_segment`).
    pub fn new(quiet: bool, per_segment: bool) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{bar:32} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        Progress {
            bar,
            state: Mutex::new(State::default()),
            per_segment: per_segment && !quiet,
        }
    }

    fn line(&self, s: &str) {
        match &self.bar {
            Some(b) => b.println(s),
            None => eprintln!("{s}"),
        }
    }

    fn message(&self) {
        if let Some(b) = &self.bar {
            let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            b.set_message(format!(
                "stream {} · {} failover{}",
                st.stream.map_or("-".into(), |s| s.to_string()),
                st.failovers,
                if st.failovers == 1 { "" } else { "s" }
            ));
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    fn segment(&self, r: &SegmentRecord) {
        {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.stream = Some(r.stream);
        }
        if let Some(b) = &self.bar {
            b.inc(r.bytes);
            self.message();
        } else if self.per_segment {
            eprintln!(
                "segment {} ({} blocks from LBA {}) on stream {}: {}, by {} through {}",
                r.index,
                r.blocks,
                r.source_lba,
                r.stream,
                place_words(&r.place),
                r.mover,
                r.mover_device
            );
        }
    }
}

impl Observer for Progress {
    fn event(&self, e: &Event) {
        match e {
            Event::StreamReady { stream, what } => {
                self.line(&format!("stream {stream} ready: {what}"))
            }
            Event::StreamUnready { stream, why } => {
                self.line(&format!("stream {stream} could not be made ready: {why}"))
            }
            Event::Began {
                id,
                segments,
                bytes,
            } => {
                if let Some(b) = &self.bar {
                    b.set_length(*bytes);
                }
                self.line(&format!("backup {id}: {segments} segments, {bytes} bytes"));
            }
            Event::Resumed { id, from } => {
                let words: Vec<String> = from
                    .iter()
                    .map(|(c, k)| format!("copy {c} from segment {k}"))
                    .collect();
                let words = if words.is_empty() {
                    "from segment 0 (nothing was recorded)".to_string()
                } else {
                    words.join(", ")
                };
                self.line(&format!("backup {id} resumed: {words}"))
            }
            Event::SegmentDone(r) => self.segment(r),
            Event::Retry {
                stream,
                segment,
                why,
            } => self.line(&format!(
                "segment {segment} on stream {stream} failed ({why}); sending it again"
            )),
            Event::Failover(f) => {
                self.state
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .failovers += 1;
                self.message();
                match f.to_stream {
                    Some(to) => self.line(&format!(
                        "FAILOVER at segment {}: stream {} failed ({}); stream {to} continues from segment {}",
                        f.segment, f.from_stream, f.reason, f.segment
                    )),
                    None => self.line(&format!(
                        "stream {} stopped at segment {}: {}",
                        f.from_stream, f.segment, f.reason
                    )),
                }
            }
            Event::StreamDone { stream, segments } => self.line(&format!(
                "stream {stream} finished its part: {segments} segments"
            )),
            Event::Restored {
                index,
                bytes,
                from,
                mover,
            } => {
                if let Some(b) = &self.bar {
                    b.inc(*bytes);
                } else if self.per_segment {
                    eprintln!("segment {index} restored from {from} through {mover}");
                }
            }
            Event::MoverFailed {
                segment,
                mover,
                reason,
            } => self.line(&format!(
                "segment {segment}: {mover} failed ({reason}); securing another mover"
            )),
            Event::Map(m) => match &m.how {
                Ok(how) => self.line(&format!(
                    "stream {}: the backup's catalog is on tape {} ({how})",
                    m.stream, m.barcode
                )),
                Err(why) => self.line(&format!(
                    "stream {}: the backup's catalog could NOT be written on tape {}: {why}",
                    m.stream, m.barcode
                )),
            },
        }
    }
}
