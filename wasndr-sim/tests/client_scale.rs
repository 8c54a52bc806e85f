//! Two hundred wasndr-core clients in one process, each paired by QR with its own virtual phone and
//! logged in to the same simulator, all connected at once and each answering an IQ round trip.

#![allow(clippy::unwrap_used)]

mod wasndr_client;

use std::sync::Arc;

use tokio::sync::Semaphore;
use wasndr_client::{memory_store, pair_by_qr};
use wasndr_core::binary::Node;
use wasndr_core::client::ConnectionState;
use wasndr_core::jid::Jid;

const CLIENTS: u64 = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_in_one_process() {
    let sim = wasndr_client::simulator().await;
    // Pairings run a few at a time (each generates and uploads 812 prekeys); connections accumulate.
    let permits = Arc::new(Semaphore::new(8));
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let sim = sim.clone();
        let permits = permits.clone();
        tasks.push(tokio::spawn(async move {
            let phone = format!("1555{:07}", 1_000_000 + i);
            sim.create_phone(&phone).await.unwrap();
            let _permit = permits.acquire().await.unwrap();
            let (client, events, jid) = pair_by_qr(&sim, &phone, memory_store()).await;
            (phone, client, events, jid)
        }));
    }
    let mut clients = Vec::new();
    for task in tasks {
        clients.push(task.await.unwrap());
    }

    // All of them are up at the same time, each on its own connection.
    for (phone, client, _, jid) in &clients {
        assert_eq!(client.state(), ConnectionState::Connected);
        assert!(sim.is_connected(phone, jid.device()), "{jid} not connected");
    }
    for (_, client, _, _) in &clients {
        let ping = Node::new("iq")
            .attr("to", Jid::server())
            .attr("type", "get")
            .attr("xmlns", "w:p")
            .children([Node::new("ping")]);
        let answer = client.send_iq(ping).await.unwrap();
        assert_eq!(answer.attr_str("type"), Some("result"));
    }
    for (_, client, _, _) in &clients {
        client.disconnect().await;
    }
    // The simulator notices each close on its own connection task.
    let all_gone = async {
        while clients
            .iter()
            .any(|(phone, _, _, jid)| sim.is_connected(phone, jid.device()))
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(wasndr_client::WAIT, all_gone)
        .await
        .expect("the simulator still lists connections after every client disconnected");
}
