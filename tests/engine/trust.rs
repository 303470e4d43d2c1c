//! The roots the function trusts (`src/aws/amazon-trust-services-roots.pem`) are Amazon Trust
//! Services' five, checked by the SHA-256 of each one's SubjectPublicKeyInfo against the values
//! amazontrust.com/repository publishes (the way it recommends identifying a root: by its key,
//! not its certificate's attributes).

use ecs_doctor::aws::AMAZON_TRUST_SERVICES_ROOTS;

/// From https://www.amazontrust.com/repository/ ("SHA-256 Hash of Subject Public Key Information").
const PUBLISHED: [(&str, &str); 5] = [
    (
        "Amazon Root CA 1",
        "fbe3018031f9586bcbf41727e417b7d1c45c2f47f93be372a17b96b50757d5a2",
    ),
    (
        "Amazon Root CA 2",
        "7f4296fc5b6a4e3b35d3c369623e364ab1af381d8fa7121533c9d6c633ea2461",
    ),
    (
        "Amazon Root CA 3",
        "36abc32656acfc645c61b71613c4bf21c787f5cabbee48348d58597803d7abc9",
    ),
    (
        "Amazon Root CA 4",
        "f7ecded5c66047d28ed6466b543c40e0743abe81d109254dcf845d4c2c7853c5",
    ),
    (
        "Starfield Services Root Certificate Authority - G2",
        "2b071c59a0a0ae76b0eadb2bad23bad4580b69c3601b630c2eaf0613afa83f92",
    ),
];

/// The DER blocks of a PEM text.
fn ders(pem: &str) -> Vec<Vec<u8>> {
    pem.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|block| {
            let body: String = block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap()
                .split_whitespace()
                .collect();
            aws_smithy_types::base64::decode(body).expect("base64 inside a PEM block")
        })
        .collect()
}

/// One DER element at `at`: (where its content starts, where it ends).
fn element(der: &[u8], at: usize) -> (usize, usize) {
    let first = der[at + 1];
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        let len = der[at + 2..at + 2 + n]
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (len, 2 + n)
    };
    (at + header, at + header + len)
}

/// The SubjectPublicKeyInfo of a certificate, whole (tag and length included).
fn spki(der: &[u8]) -> &[u8] {
    // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version, serialNumber,
    // signature, issuer, validity, subject, subjectPublicKeyInfo, … }, … }
    let (tbs, _) = element(der, 0);
    let (mut at, _) = element(der, tbs);
    if der[at] == 0xa0 {
        at = element(der, at).1; // the explicit version
    }
    for _ in 0..5 {
        at = element(der, at).1; // serial, signature, issuer, validity, subject
    }
    &der[at..element(der, at).1]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_function_trusts_amazon_trust_services_five_roots_and_nothing_else() {
    let pem = std::str::from_utf8(AMAZON_TRUST_SERVICES_ROOTS).unwrap();
    let hashes: Vec<String> = ders(pem)
        .iter()
        .map(|der| hex(ring::digest::digest(&ring::digest::SHA256, spki(der)).as_ref()))
        .collect();
    assert_eq!(hashes.len(), PUBLISHED.len(), "five roots, no more");
    for (name, published) in PUBLISHED {
        assert!(
            hashes.iter().any(|h| h == published),
            "{name}'s key ({published}) is not among the embedded roots: {hashes:?}"
        );
    }
}
