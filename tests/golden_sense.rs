//! Golden sense data: every fixture of `fixtures/wire/sense-fixed/` and
//! `fixtures/wire/sense-descriptor/` parses as `SenseData`, emits back byte
//! for byte, and decodes to the values its comments give.

mod common;

use common::round_trip;
use segcopy::wire::sense::{
    FieldPointer, SegmentPointer, SenseData, SenseDataSource, SenseDescriptor, SenseKey,
    SenseKeySpecific,
};
use segcopy::wire::Repr;

fn fixture(kind: &str, name: &str) -> SenseData {
    round_trip::<SenseData>(kind)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no fixture {kind}/{name}"))
        .1
}

#[test]
fn every_fixed_sense_round_trips() {
    let all = round_trip::<SenseData>("sense-fixed");
    assert!(all.len() >= 6);
    for (name, s) in &all {
        assert!(
            matches!(s, SenseData::Fixed(_)),
            "{name} is not fixed format"
        );
        assert!(!s.is_truncated(), "{name}");
    }
}

#[test]
fn every_descriptor_sense_round_trips() {
    let all = round_trip::<SenseData>("sense-descriptor");
    assert!(all.len() >= 2);
    for (name, s) in &all {
        assert!(
            matches!(s, SenseData::Descriptor(_)),
            "{name} is not descriptor format"
        );
    }
}

#[test]
fn lio_copy_aborted() {
    let s = fixture("sense-fixed", "lio-copy-aborted-0d02.hex");
    assert_eq!(s.sense_key(), Some(SenseKey::CopyAborted));
    assert_eq!(s.asc_ascq(), Some((0x0d, 0x02)));
    assert_eq!(s.information(), None);
    assert_eq!(s.segment_pointer(), None);
    assert_eq!(s.forwarded().count(), 0);
    // What the simulator builds to agree with LIO:
    let sim: SenseData = SenseData::fixed(SenseKey::CopyAborted, 0x0d, 0x02).into();
    assert_eq!(sim, s);
    assert_eq!(
        s.to_string(),
        "Fixed format, current; Sense key: COPY ABORTED; \
         Additional sense: Copy target device not reachable (0x0d/0x02)"
    );
}

#[test]
fn copy_aborted_segment_pointer() {
    let s = fixture("sense-fixed", "copy-aborted-segment-pointer.hex");
    assert_eq!(s.asc_ascq(), Some((0x26, 0x0d)));
    assert_eq!(s.information(), Some(65535));
    assert_eq!(s.failed_segment_index(), Some(3));
    assert_eq!(
        s.segment_pointer(),
        Some(SegmentPointer {
            segment_descriptor: true,
            bit_pointer: Some(7),
            field_pointer: 10
        })
    );
    let built: SenseData = SenseData::fixed(SenseKey::CopyAborted, 0x26, 0x0d)
        .with_information(65535)
        .with_failed_segment(3)
        .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
            segment_descriptor: true,
            bit_pointer: Some(7),
            field_pointer: 10,
        }))
        .into();
    assert_eq!(built, s);
    let text = s.to_string();
    assert!(
        text.contains("Segment pointer: segment descriptor 3, byte 10, bit 7"),
        "{text}"
    );
    assert!(
        text.contains("Copy segment granularity violation (0x26/0x0d)"),
        "{text}"
    );
}

#[test]
fn illegal_request_field_pointer() {
    let s = fixture(
        "sense-fixed",
        "illegal-request-param-list-field-pointer.hex",
    );
    assert_eq!(s.sense_key(), Some(SenseKey::IllegalRequest));
    assert_eq!(s.asc_ascq(), Some((0x26, 0x00)));
    assert_eq!(
        s.field_pointer(),
        Some(FieldPointer {
            command: false,
            bit_pointer: Some(3),
            field_pointer: 20
        })
    );
    assert_eq!(s.failed_segment_index(), None);
    assert!(s
        .to_string()
        .contains("Field pointer: parameter data byte 20, bit 3"));
}

#[test]
fn deferred_medium_error() {
    let s = fixture("sense-fixed", "deferred-medium-error.hex");
    assert!(s.is_deferred());
    assert_eq!(s.sense_key(), Some(SenseKey::MediumError));
    assert_eq!(s.information(), Some(0x12345));
    assert_eq!(
        s.sense_key_specific(),
        Some(SenseKeySpecific::ActualRetryCount(3))
    );
    assert!(s
        .to_string()
        .starts_with("Fixed format, deferred; Sense key: MEDIUM ERROR"));
}

#[test]
fn tape_filemark_and_eom() {
    let f = fixture("sense-fixed", "tape-read-filemark-residue.hex");
    assert!(f.filemark() && !f.eom() && !f.ili());
    assert_eq!(f.information(), Some(65536));
    assert_eq!(f.asc_ascq(), Some((0x00, 0x01)));
    let e = fixture("sense-fixed", "tape-write-early-warning-eom.hex");
    assert!(!e.filemark() && e.eom());
    assert_eq!(e.information(), Some(3));
    assert!(e
        .to_string()
        .contains("End-of-partition/medium detected (0x00/0x02)"));
}

#[test]
fn descriptor_copy_aborted_with_forwarded_medium_error() {
    let s = fixture(
        "sense-descriptor",
        "copy-aborted-forwarded-medium-error.hex",
    );
    assert_eq!(s.sense_key(), Some(SenseKey::CopyAborted));
    assert_eq!(s.asc_ascq(), Some((0x0d, 0x01)));
    assert_eq!(s.information(), Some(256));
    assert_eq!(s.command_specific(), Some(2));
    assert_eq!(s.failed_segment_index(), Some(2));
    assert_eq!(
        s.segment_pointer(),
        Some(SegmentPointer {
            segment_descriptor: true,
            bit_pointer: None,
            field_pointer: 20
        })
    );
    let fw: Vec<_> = s.forwarded().collect();
    assert_eq!(fw.len(), 1);
    assert_eq!(fw[0].source, SenseDataSource::CopyDestination);
    assert_eq!(fw[0].status, 0x02);
    assert!(!fw[0].fsdt);
    let inner = fw[0].sense().expect("forwarded sense parses");
    assert_eq!(inner.sense_key(), Some(SenseKey::MediumError));
    assert_eq!(inner.asc_ascq(), Some((0x0c, 0x00)));
    assert_eq!(inner.information(), Some(0x20040));

    // The simulator's way to build the same bytes.
    let dest: SenseData = SenseData::fixed(SenseKey::MediumError, 0x0c, 0x00)
        .with_information(0x20040)
        .with_sense_key_specific(SenseKeySpecific::ActualRetryCount(1))
        .into();
    let built: SenseData = SenseData::descriptor(SenseKey::CopyAborted, 0x0d, 0x01)
        .with_information(256)
        .with_failed_segment(2)
        .with_sense_key_specific(SenseKeySpecific::SegmentPointer(SegmentPointer {
            segment_descriptor: true,
            bit_pointer: None,
            field_pointer: 20,
        }))
        .with_forwarded(
            segcopy::wire::sense::ForwardedSense::new(
                SenseDataSource::CopyDestination,
                0x02,
                &dest,
            )
            .unwrap(),
        )
        .into();
    assert_eq!(built, s);
    assert_eq!(built.to_vec().unwrap(), s.to_vec().unwrap());

    let text = s.to_string();
    for want in [
        "Descriptor format, current; Sense key: COPY ABORTED; Additional sense: Third party device failure (0x0d/0x01)",
        "  Information: 0x100 (256)",
        "  Command-specific information: 0x2",
        "  Segment pointer: segment descriptor 2, byte 20",
        "  Forwarded sense data from the copy destination, status CHECK CONDITION (0x02):",
        "\n    Fixed format, current; Sense key: MEDIUM ERROR; Additional sense: Write error (0x0c/0x00)",
        "\n      Information: 0x20040 (131136)",
        "\n      Actual retry count: 1",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn descriptor_tape_stream_commands() {
    let s = fixture("sense-descriptor", "tape-stream-commands-filemark.hex");
    assert!(s.filemark() && !s.eom() && !s.ili());
    assert_eq!(s.information(), Some(32768));
    let SenseData::Descriptor(d) = &s else {
        panic!("not descriptor format")
    };
    assert_eq!(
        d.descriptors[1],
        SenseDescriptor::StreamCommands {
            filemark: true,
            eom: false,
            ili: false
        }
    );
    assert!(s.to_string().contains("Stream commands: FILEMARK"));
}

#[test]
fn cut_fixtures_parse_bounded_and_flagged() {
    for kind in ["sense-fixed", "sense-descriptor"] {
        for (name, bytes) in common::wire_fixtures(kind) {
            for cut in 8..bytes.len() {
                let s = SenseData::parse(&bytes[..cut])
                    .unwrap_or_else(|e| panic!("{kind}/{name} cut at {cut}: {e}"));
                assert!(s.is_truncated(), "{kind}/{name} cut at {cut} not flagged");
            }
        }
    }
}
