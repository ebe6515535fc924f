//! A DNS server run by the tests on loopback UDP: it answers TXT questions from a table the test
//! edits (RFC 1035 wire format), NXDOMAIN for names it does not know.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;

#[derive(Clone)]
pub struct DnsServer {
    pub addr: std::net::SocketAddr,
    /// Name (lowercase, no trailing dot) → TXT strings.
    pub records: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl DnsServer {
    pub async fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = DnsServer { addr: socket.local_addr().unwrap(), records: Arc::default() };
        let records = server.records.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
                let reply = answer(&buf[..n], &records.lock().unwrap());
                if let Some(reply) = reply {
                    let _ = socket.send_to(&reply, peer).await;
                }
            }
        });
        server
    }

    pub fn set(&self, name: &str, txt: &[&str]) {
        self.records.lock().unwrap().insert(name.to_owned(), txt.iter().map(|s| (*s).to_owned()).collect());
    }

    pub fn remove(&self, name: &str) {
        self.records.lock().unwrap().remove(name);
    }
}

/// The reply to one query, or `None` for something that is not a query.
fn answer(query: &[u8], records: &HashMap<String, Vec<String>>) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    // The question: labels up to the zero byte, then QTYPE and QCLASS.
    let mut i = 12;
    let mut labels = Vec::new();
    while *query.get(i)? != 0 {
        let len = usize::from(query[i]);
        labels.push(String::from_utf8_lossy(query.get(i + 1..i + 1 + len)?).to_lowercase());
        i += 1 + len;
    }
    let question_end = i + 5;
    let qtype = u16::from_be_bytes([*query.get(i + 1)?, *query.get(i + 2)?]);
    let name = labels.join(".");
    let found = records.get(&name);
    let answers: Vec<&String> = match (found, qtype) {
        (Some(txt), 16) => txt.iter().collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    out.extend_from_slice(&query[..2]); // id
    let rcode: u8 = if found.is_none() { 3 } else { 0 }; // NXDOMAIN for unknown names
    out.extend_from_slice(&[0x81, 0x80 | rcode]); // QR, RD, RA
    out.extend_from_slice(&[0, 1]); // one question
    out.extend_from_slice(&u16::try_from(answers.len()).ok()?.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // no authority, no additional records
    out.extend_from_slice(query.get(12..question_end)?);
    for txt in answers {
        out.extend_from_slice(&[0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 0]); // name → question, TXT, IN, TTL 0
        let mut rdata = Vec::new();
        for chunk in txt.as_bytes().chunks(255) {
            rdata.push(u8::try_from(chunk.len()).ok()?);
            rdata.extend_from_slice(chunk);
        }
        out.extend_from_slice(&u16::try_from(rdata.len()).ok()?.to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Some(out)
}
