//! TLS to the catalog's server, as libpq's `sslmode` has it: `disable`
//! never; `prefer` (the default) when the server offers it; `require`
//! always, or no connection. Without `sslrootcert` the connection is
//! encrypted but the server's certificate is not checked (libpq's
//! `prefer` and `require`: it protects against eavesdropping, not against
//! a server that pretends); with `sslrootcert=FILE` in the URL the server
//! must present a certificate that a CA of FILE (PEM) signed, for the host
//! the URL names (libpq's `verify-full`).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The URL parameter naming the CAs the server's certificate must chain
/// to (libpq's name); segcopy takes it out of the URL before the driver
/// sees it.
pub const ROOT_PARAM: &str = "sslrootcert";

/// `url` without its `sslrootcert=…` parameter, and that parameter's value.
pub fn take_root(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut root = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.split_once('=') {
            Some((k, v)) if k == ROOT_PARAM => {
                root = Some(v.to_string());
                false
            }
            _ => true,
        })
        .collect();
    if kept.is_empty() {
        (base.to_string(), root)
    } else {
        (format!("{base}?{}", kept.join("&")), root)
    }
}

/// The TLS connector: checking the server against the CAs in `root`, or
/// encrypting without checking when `None`.
pub fn connector(root: Option<&Path>) -> Result<MakeRustlsConnect, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let config = match root {
        Some(path) => {
            let pem =
                std::fs::read(path).map_err(|e| format!("{ROOT_PARAM} {}: {e}", path.display()))?;
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("{ROOT_PARAM} {}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("{ROOT_PARAM} {}: {e}", path.display()))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "{ROOT_PARAM} {}: no PEM certificate in it; give the CA that signed the server's certificate",
                    path.display()
                ));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
            .with_no_client_auth(),
    };
    Ok(MakeRustlsConnect::new(config))
}

/// Takes any certificate (libpq's `prefer` and `require`); the handshake's
/// signatures are still checked, so the session is the certificate's.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_parameter_is_taken_out_of_the_url() {
        assert_eq!(
            take_root("postgres://a@h/db"),
            ("postgres://a@h/db".into(), None)
        );
        assert_eq!(
            take_root("postgres://a@h/db?sslrootcert=/etc/ca.pem"),
            ("postgres://a@h/db".into(), Some("/etc/ca.pem".into()))
        );
        assert_eq!(
            take_root("postgres://a@h/db?sslmode=require&sslrootcert=ca.pem&connect_timeout=5"),
            (
                "postgres://a@h/db?sslmode=require&connect_timeout=5".into(),
                Some("ca.pem".into())
            )
        );
    }

    #[test]
    fn a_root_file_without_certificates_is_refused_in_words() {
        let e = connector(Some(Path::new("/nonexistent/ca.pem")))
            .err()
            .expect("no file");
        assert!(e.contains("sslrootcert /nonexistent/ca.pem"), "{e}");
        let empty = std::env::temp_dir().join(format!("segcopy-empty-ca-{}", std::process::id()));
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = connector(Some(&empty)).err().expect("empty");
        assert!(e.contains("no PEM certificate"), "{e}");
        std::fs::remove_file(&empty).unwrap();
        assert!(connector(None).is_ok());
    }
}
