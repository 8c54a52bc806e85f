//! The WHERE and ORDER BY of history and attachment queries, built once for both SQL dialects. Only
//! the filters a query sets appear in the SQL, so the planner can use the (device, chat, time) index;
//! every value is bound, never spliced.

use wasndr_core::store::{AttachmentQuery, HistoryQuery, Order, search_key};

use super::codec::to_i64;
use super::writes::Param;

/// `FROM … WHERE …` with its values (`$1` is always the device id), and the ORDER BY clause.
#[derive(Debug)]
pub(crate) struct Filter {
    pub(crate) from_where: String,
    pub(crate) values: Vec<Param>,
    pub(crate) order_by: &'static str,
}

impl Filter {
    fn new(device: i64, order: Order) -> Self {
        Self {
            from_where: String::from(" FROM wa_messages WHERE device_id = $1"),
            values: vec![Param::int(device)],
            order_by: match order {
                Order::NewestFirst => " ORDER BY timestamp DESC, seq DESC",
                Order::OldestFirst => " ORDER BY timestamp ASC, seq ASC",
            },
        }
    }

    fn push(&mut self, condition: impl FnOnce(usize) -> String, value: Param) {
        self.values.push(value);
        self.from_where.push_str(" AND ");
        self.from_where.push_str(&condition(self.values.len()));
    }

    /// The filter of a history query; `contains` is the dialect's `position(haystack, needle)`
    /// function (`instr` or `strpos`).
    pub(crate) fn history(device: i64, query: &HistoryQuery, contains: &str) -> Self {
        let mut filter = Self::new(device, query.order);
        if let Some(chat) = &query.chat {
            filter.push(|n| format!("chat = ${n}"), Param::text(chat.to_string()));
        }
        if let Some(since) = query.since {
            filter.push(|n| format!("timestamp >= ${n}"), Param::int(to_i64(since)));
        }
        if let Some(until) = query.until {
            filter.push(|n| format!("timestamp <= ${n}"), Param::int(to_i64(until)));
        }
        if let Some(needle) = query.search.as_deref().map(search_key).filter(|n| !n.is_empty()) {
            filter.push(|n| format!("{contains}(text_key, ${n}) > 0"), Param::text(needle));
        }
        filter
    }

    /// The filter of an attachments query.
    pub(crate) fn attachments(device: i64, query: &AttachmentQuery) -> Self {
        let mut filter = Self::new(device, query.order);
        filter.from_where.push_str(" AND media_type IS NOT NULL");
        if let Some(chat) = &query.chat {
            filter.push(|n| format!("chat = ${n}"), Param::text(chat.to_string()));
        }
        if let Some(media_type) = &query.media_type {
            filter.push(|n| format!("media_type = ${n}"), Param::text(media_type.clone()));
        }
        filter
    }

    /// `LIMIT $a OFFSET $b` for a page, with the two values appended.
    pub(crate) fn page(&self, limit: u32, offset: u64) -> (String, Vec<Param>) {
        let mut values = self.values.clone();
        values.push(Param::int(i64::from(limit)));
        values.push(Param::int(to_i64(offset)));
        let clause = format!(
            "{}{} LIMIT ${} OFFSET ${}",
            self.from_where,
            self.order_by,
            values.len() - 1,
            values.len()
        );
        (clause, values)
    }
}

#[cfg(test)]
mod tests {
    use wasndr_core::jid::Jid;

    use super::*;

    #[test]
    fn only_set_filters_appear_and_values_follow_their_placeholders() {
        let query = HistoryQuery {
            chat: Some(Jid::pn("15551234567")),
            until: Some(20),
            search: Some("ÉCOLE".into()),
            ..HistoryQuery::default()
        };
        let filter = Filter::history(7, &query, "instr");
        assert_eq!(
            filter.from_where,
            " FROM wa_messages WHERE device_id = $1 AND chat = $2 AND timestamp <= $3 AND instr(text_key, $4) > 0"
        );
        assert_eq!(
            filter.values,
            vec![
                Param::int(7),
                Param::text("15551234567@s.whatsapp.net"),
                Param::int(20),
                Param::text("école"),
            ]
        );
        let (page, values) = filter.page(10, 30);
        assert!(
            page.ends_with("ORDER BY timestamp DESC, seq DESC LIMIT $5 OFFSET $6"),
            "{page}"
        );
        assert_eq!(values[4..], [Param::int(10), Param::int(30)]);
    }
}
