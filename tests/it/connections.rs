//! Connection limits: a client that never finishes its headers, an idle
//! keep-alive connection, and oversized headers.

use std::time::{Duration, Instant};

use fcmock::server::ServeOptions;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

fn short() -> ServeOptions {
    ServeOptions {
        header_read_timeout: Duration::from_millis(800),
        ..ServeOptions::default()
    }
}

/// Reads until the server closes the connection (or 10 s pass), returning
/// what was read and how long the close took.
async fn read_until_closed(stream: &mut TcpStream) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (seen, start.elapsed()),
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the server kept the connection open for 10 s"),
        }
    }
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = TestApp::spawn_with_options(&[], short()).await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    s.write_all(b"GET /api/v2/.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let (_, took) = read_until_closed(&mut s).await;
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_and_a_busy_one_is_not() {
    let app = TestApp::spawn_with_options(&[], short()).await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let request = b"GET /_fcmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    // Requests spaced under the timeout keep the connection in use…
    for _ in 0..3 {
        s.write_all(request).await.unwrap();
        let mut buf = [0u8; 1024];
        let n = s.read(&mut buf).await.unwrap();
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // …then, left idle, it is closed.
    let (rest, took) = read_until_closed(&mut s).await;
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
}

#[tokio::test]
async fn headers_over_the_limit_get_431() {
    let app = TestApp::spawn().await;
    let mut s = TcpStream::connect(addr(&app)).await.unwrap();
    let big = "a".repeat(ServeOptions::default().max_header_bytes + 1024);
    s.write_all(format!("GET /_fcmock/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {big}\r\n\r\n").as_bytes())
        .await
        .unwrap_or_default();
    let (answer, _) = read_until_closed(&mut s).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
}
