//! History and attachment queries over the in-memory message list: filter, count, order, page.

use super::state::State;
use crate::store::{AttachmentQuery, HistoryQuery, Order, Page, StoredMessage, search_key};

impl State {
    pub(super) fn history(&self, query: &HistoryQuery) -> Page<StoredMessage> {
        let needle = query.search.as_deref().map(search_key).filter(|n| !n.is_empty());
        let matches = |m: &StoredMessage| {
            query.chat.as_ref().is_none_or(|chat| m.chat == *chat)
                && query.since.is_none_or(|since| m.timestamp >= since)
                && query.until.is_none_or(|until| m.timestamp <= until)
                && needle.as_ref().is_none_or(|needle| {
                    m.text
                        .as_deref()
                        .is_some_and(|text| search_key(text).contains(needle.as_str()))
                })
        };
        self.page(matches, query.order, query.offset, query.limit)
    }

    pub(super) fn attachments(&self, query: &AttachmentQuery) -> Page<StoredMessage> {
        let matches = |m: &StoredMessage| {
            m.media
                .as_ref()
                .is_some_and(|media| query.media_type.as_ref().is_none_or(|t| media.media_type == *t))
                && query.chat.as_ref().is_none_or(|chat| m.chat == *chat)
        };
        self.page(matches, query.order, query.offset, query.limit)
    }

    fn page(
        &self,
        matches: impl Fn(&StoredMessage) -> bool,
        order: Order,
        offset: u64,
        limit: u32,
    ) -> Page<StoredMessage> {
        // Positions in `messages` are insertion order, the tie-breaker every backend uses.
        let mut found: Vec<(u64, usize)> = self
            .messages
            .iter()
            .enumerate()
            .filter(|(_, m)| matches(m))
            .map(|(position, m)| (m.timestamp, position))
            .collect();
        found.sort_unstable();
        if order == Order::NewestFirst {
            found.reverse();
        }
        let total = found.len() as u64;
        let items = found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit as usize)
            .filter_map(|(_, position)| self.messages.get(position).cloned())
            .collect();
        Page { items, total }
    }
}
