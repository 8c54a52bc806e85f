//! `media_conn`: the hosts and auth token for media uploads and downloads (messaging guide F.3).

use crate::binary::Node;
use crate::error::Result;
use crate::jid::Jid;

use super::iq::{Iq, IqType, iq_result};
use super::read::{NodeView, Reader};

/// The request (`w:m`/set `<media_conn/>`).
pub fn media_conn_query() -> Iq {
    Iq::new("w:m", IqType::Set, Jid::server(), Node::new("media_conn"))
}

/// The upload/download grant. Cache it until `fetched + ttl`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaConn {
    /// `auth`: the upload token.
    pub auth: String,
    /// `ttl`, seconds.
    pub ttl: u64,
    /// `auth_ttl`, seconds.
    pub auth_ttl: Option<u64>,
    /// `max_buckets`.
    pub max_buckets: Option<u32>,
    /// The hosts, in the server's order.
    pub hosts: Vec<MediaHost>,
}

/// One media host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaHost {
    /// `hostname`.
    pub hostname: String,
    /// `maxContentLengthBytes`.
    pub max_content_length: Option<u64>,
}

/// Parses the reply to [`media_conn_query`].
pub fn parse_media_conn<'t, N: NodeView<'t>>(reply: N) -> Result<MediaConn> {
    let iq = Reader::expect(iq_result(reply)?, "iq")?;
    let conn = iq.child("media_conn")?;
    let mut hosts = Vec::new();
    for host in conn.children_with_tag("host") {
        hosts.push(MediaHost {
            hostname: host.str("hostname")?.to_owned(),
            max_content_length: host.opt_u64("maxContentLengthBytes")?,
        });
    }
    Ok(MediaConn {
        auth: conn.str("auth")?.to_owned(),
        ttl: conn.u64("ttl")?,
        auth_ttl: conn.opt_u64("auth_ttl")?,
        max_buckets: conn.opt_u32("max_buckets")?,
        hosts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary;

    #[test]
    fn query_and_reply() {
        let query = media_conn_query().into_node("1");
        assert_eq!(query.attr_str("xmlns"), Some("w:m"));
        assert!(query.child("media_conn").is_some());
        let reply = Node::new("iq")
            .attr("from", Jid::server())
            .attr("id", "1")
            .attr("type", "result")
            .children([Node::new("media_conn")
                .attr("auth", "AUTH+/=")
                .attr("auth_ttl", "21600")
                .attr("max_buckets", "12")
                .attr("ttl", "300")
                .children([
                    Node::new("host").attr("hostname", "mmg.whatsapp.net"),
                    Node::new("host")
                        .attr("hostname", "media.fxx1-1.fna.whatsapp.net")
                        .attr("maxContentLengthBytes", "104857600"),
                ])]);
        let bytes = binary::encode(&reply).unwrap();
        let tree = binary::decode_node(&bytes[1..]).unwrap();
        let conn = parse_media_conn(tree.root()).unwrap();
        assert_eq!(conn.auth, "AUTH+/=");
        assert_eq!(conn.ttl, 300);
        assert_eq!(conn.hosts.len(), 2);
        assert_eq!(conn.hosts[1].max_content_length, Some(104_857_600));
    }
}
