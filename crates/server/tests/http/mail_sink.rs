//! An SMTP server run by the tests: it speaks the real protocol to the server's lettre client
//! (EHLO, MAIL, RCPT, DATA, dot-stuffing, QUIT), records every message and can refuse them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the sink answers a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkMode {
    Accept,
    /// `451` after the data: the sender must try again later.
    RejectTemporarily,
    /// `550` to the recipient: the sender must give up.
    RejectPermanently,
}

/// One received message.
#[derive(Clone, Debug)]
pub struct Received {
    pub envelope_from: String,
    pub envelope_to: Vec<String>,
    pub headers: String,
    /// The body, transfer-decoded.
    pub body: String,
}

impl Received {
    pub fn subject(&self) -> String {
        self.header("Subject")
    }

    pub fn header(&self, name: &str) -> String {
        let prefix = format!("{}:", name.to_lowercase());
        self.headers
            .lines()
            .find(|l| l.to_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
            .unwrap_or_default()
    }

    /// The first link in the body whose path starts with `path`, made relative.
    pub fn link(&self, path: &str) -> String {
        let start = self.body.find(path).unwrap_or_else(|| panic!("no {path} link in:\n{}", self.body));
        self.body[start..].split_whitespace().next().unwrap().to_owned()
    }
}

/// A running sink.
#[derive(Clone)]
pub struct MailSink {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub mode: Arc<Mutex<SinkMode>>,
    /// Every command line the sink read, for asserting the conversation.
    pub transcript: Arc<Mutex<Vec<String>>>,
}

impl MailSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = MailSink {
            port: listener.local_addr().unwrap().port(),
            received: Arc::default(),
            mode: Arc::new(Mutex::new(SinkMode::Accept)),
            transcript: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.session(socket).await });
            }
        });
        sink
    }

    async fn session(&self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        if !reply(&mut write, "220 sink.test ESMTP test sink").await {
            return;
        }
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Ok(Some(line)) = lines.next_line().await {
            self.transcript.lock().unwrap().push(line.clone());
            let upper = line.to_uppercase();
            let mode = *self.mode.lock().unwrap();
            let ok = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                reply(&mut write, "250-sink.test\r\n250 8BITMIME").await
            } else if upper.starts_with("MAIL FROM:") {
                from = angle(&line);
                to.clear();
                reply(&mut write, "250 sender ok").await
            } else if upper.starts_with("RCPT TO:") {
                if mode == SinkMode::RejectPermanently {
                    reply(&mut write, "550 5.1.1 no such mailbox").await
                } else {
                    to.push(angle(&line));
                    reply(&mut write, "250 recipient ok").await
                }
            } else if upper == "DATA" {
                if !reply(&mut write, "354 end with <CRLF>.<CRLF>").await {
                    return;
                }
                let mut data = Vec::new();
                while let Ok(Some(l)) = lines.next_line().await {
                    if l == "." {
                        break;
                    }
                    // RFC 5321 §4.5.2: a leading dot was doubled by the sender.
                    data.push(if l.starts_with("..") { l[1..].to_owned() } else { l });
                }
                if mode == SinkMode::RejectTemporarily {
                    reply(&mut write, "451 4.3.0 try again later").await
                } else {
                    self.received.lock().unwrap().push(parse(&from, &to, &data));
                    reply(&mut write, "250 queued").await
                }
            } else if upper == "QUIT" {
                let _ = reply(&mut write, "221 bye").await;
                return;
            } else if upper.starts_with("RSET") || upper.starts_with("NOOP") {
                reply(&mut write, "250 ok").await
            } else {
                reply(&mut write, "502 command not implemented").await
            };
            if !ok {
                return;
            }
        }
    }

    /// Waits (up to 15 s) for a message to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> Received {
        for _ in 0..300 {
            let found = self
                .received
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|m| m.envelope_to.iter().any(|t| t.eq_ignore_ascii_case(to)) && m.subject().contains(subject))
                .cloned();
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got: Vec<(Vec<String>, String)> =
            self.received.lock().unwrap().iter().map(|m| (m.envelope_to.clone(), m.subject())).collect();
        panic!("no email to {to} about {subject:?}; received {got:?}");
    }

    /// How many messages went to `to`.
    pub fn count_to(&self, to: &str) -> usize {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.envelope_to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .count()
    }
}

async fn reply(w: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    w.write_all(format!("{text}\r\n").as_bytes()).await.is_ok()
}

fn angle(line: &str) -> String {
    line.split('<').nth(1).and_then(|r| r.split('>').next()).unwrap_or_default().to_owned()
}

fn parse(from: &str, to: &[String], data: &[String]) -> Received {
    let split = data.iter().position(String::is_empty).unwrap_or(data.len());
    let headers = data[..split].join("\n");
    let raw_body = data.get(split + 1..).unwrap_or_default();
    let mut received =
        Received { envelope_from: from.to_owned(), envelope_to: to.to_vec(), headers, body: String::new() };
    let encoding = received.header("Content-Transfer-Encoding").to_lowercase();
    received.body = match encoding.as_str() {
        "quoted-printable" => quoted_printable(raw_body),
        "base64" => String::from_utf8(base64(&raw_body.concat())).unwrap(),
        _ => raw_body.join("\n"),
    };
    received
}

fn quoted_printable(lines: &[String]) -> String {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let (text, soft) = match line.strip_suffix('=') {
            Some(t) => (t, true),
            None => (line.as_str(), false),
        };
        let bytes = text.as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            if bytes[j] == b'=' && j + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[j + 1..j + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                j += 3;
            } else {
                out.push(bytes[j]);
                j += 1;
            }
        }
        if !soft && i + 1 < lines.len() {
            out.push(b'\n');
        }
    }
    String::from_utf8(out).unwrap()
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn transfer_encodings_decode() {
    assert_eq!(quoted_printable(&["a=3Db soft=".into(), "wrap".into(), "next".into()]), "a=b softwrap\nnext");
    assert_eq!(base64("aGVsbG8gd29ybGQ="), b"hello world");
}
