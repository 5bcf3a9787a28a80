//! The fuzz targets' bodies (`fuzz/bodies.rs`) built with the tests, so an
//! API change cannot leave the fuzz crate broken, and each run on the seeds
//! committed for it (`fuzz/seeds/TARGET/`): none may panic.

#[path = "../../fuzz/bodies.rs"]
mod bodies;

/// A target's body.
type Body = fn(&[u8]);

#[test]
fn every_fuzz_target_runs_its_seeds_without_panicking() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let targets: [(&str, Body); 3] = [
        ("dump_decoder", bodies::dump_decoder),
        ("template_parser", bodies::template_parser),
        ("kubeconfig", bodies::kubeconfig),
    ];
    for (name, body) in targets {
        let mut ran = 0;
        for entry in std::fs::read_dir(seeds.join(name)).unwrap() {
            let path = entry.unwrap().path();
            body(&std::fs::read(&path).unwrap());
            ran += 1;
        }
        assert!(ran > 0, "no seed for {name}");
        // Edge cases every target must take too.
        for data in [&b""[..], b"\xff\xfe", b"{", b"- [", b"\0"] {
            body(data);
        }
    }
}
