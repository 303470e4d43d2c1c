//! One small HTTP/1.1 server on loopback for the tests' stand-ins: the canned AWS, the Lambda
//! Runtime API and the demo's SNS receiver. A thread per connection, keep-alive, bodies sized by
//! Content-Length or chunked. Standard library only: hyper is in the tree as a client only, and
//! its server side would rebuild the SDK; the demo uses this file too.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One request as it was read; header names in lower case.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// One answer: `status` as written on the wire ("200 OK"), Content-Length is added.
#[derive(Debug)]
pub struct Response {
    pub status: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: &'static str, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: body.into(),
        }
    }

    pub fn empty(status: &'static str) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// Answers a request, or `None` to close the connection unanswered. The flag turns true when
/// the server stops: a handler that waits (a hang, a long poll) checks it.
pub trait Handler: Fn(Request, &AtomicBool) -> Option<Response> + Send + Sync + 'static {}
impl<F: Fn(Request, &AtomicBool) -> Option<Response> + Send + Sync + 'static> Handler for F {}

/// A running server; stopped (its connections closed and joined) on drop.
pub struct Server {
    pub address: SocketAddr,
    stop: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

impl Server {
    /// Listens on a free loopback port and answers each request with `handler`.
    pub fn start(handler: impl Handler) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a nonblocking listener");
        let address = listener.local_addr().expect("the listener's address");
        let stop = Arc::new(AtomicBool::new(false));
        let accepting = {
            let stop = stop.clone();
            std::thread::spawn(move || accept(listener, Arc::new(handler), stop))
        };
        Server {
            address,
            stop,
            accepting: Some(accepting),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

fn accept(listener: TcpListener, handler: Arc<dyn Handler>, stop: Arc<AtomicBool>) {
    let mut connections = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (handler, stop) = (handler.clone(), stop.clone());
                connections.push(std::thread::spawn(move || {
                    connection(stream, &*handler, &stop)
                }));
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(_) => break,
        }
    }
    for connection in connections {
        let _ = connection.join();
    }
}

fn connection(stream: TcpStream, handler: &dyn Handler, stop: &AtomicBool) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while !stop.load(Ordering::SeqCst) {
        let Ok(Some(request)) = read_request(&mut reader, stop) else {
            return;
        };
        let Some(response) = handler(request, stop) else {
            return;
        };
        let mut head = format!(
            "HTTP/1.1 {}\r\nContent-Length: {}\r\n",
            response.status,
            response.body.len()
        );
        for (name, value) in &response.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if writer
            .write_all(head.as_bytes())
            .and_then(|_| writer.write_all(&response.body))
            .is_err()
        {
            return;
        }
    }
}

fn waiting(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// Reads one request. `Ok(None)`: the peer closed, or the server stopped between requests.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    stop: &AtomicBool,
) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    loop {
        match reader.read_line(&mut line) {
            Ok(0) => return Ok(None),
            Ok(_) if line.trim().is_empty() => line.clear(),
            Ok(_) => break,
            Err(error) if waiting(&error) => {
                if stop.load(Ordering::SeqCst) {
                    return Ok(None);
                }
            }
            Err(error) => return Err(error),
        }
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_string();
    let path = words.next().unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        read_line_patiently(reader, &mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunks(reader)?
    } else {
        let length = headers
            .get("content-length")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        read_exact_patiently(reader, &mut body)?;
        body
    };
    Ok(Some(Request {
        method,
        path,
        headers,
        body,
    }))
}

fn read_chunks(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        read_line_patiently(reader, &mut size_line)?;
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
            .unwrap_or(0);
        let mut chunk = vec![0; size + 2];
        read_exact_patiently(reader, &mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// A request's rest may come slowly: waits up to 10 s for it.
const PATIENCE: Duration = Duration::from_secs(10);

fn read_line_patiently(
    reader: &mut BufReader<TcpStream>,
    line: &mut String,
) -> std::io::Result<()> {
    let started = Instant::now();
    loop {
        match reader.read_line(line) {
            Ok(_) => return Ok(()),
            Err(error) if waiting(&error) && started.elapsed() < PATIENCE => {}
            Err(error) => return Err(error),
        }
    }
}

fn read_exact_patiently(
    reader: &mut BufReader<TcpStream>,
    buffer: &mut [u8],
) -> std::io::Result<()> {
    let mut filled = 0;
    let started = Instant::now();
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(error) if waiting(&error) && started.elapsed() < PATIENCE => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}
