//! History and attachments (standard plan and up, `messages:read`).

use crate::api::{AttachmentParams, AttachmentView, HistoryParams, SessionQuery};
use crate::clock::parse_timestamp;
use crate::engine::{AttachmentFile, AttachmentQuery, HistoryMessage, HistoryQuery};
use crate::error::{GatewayError, Result};
use crate::phone::ChatJid;
use crate::scope::Scope;

use super::messaging::media_type;
use super::{Caller, Gateway, Listed, page};

fn remote_jid(jid: Option<&str>) -> Result<Option<String>> {
    jid.map(str::trim)
        .filter(|j| !j.is_empty())
        .map(|j| ChatJid::parse_any("remoteJid", j).map(|jid| jid.as_str().to_owned()))
        .transpose()
}

impl Gateway {
    /// `GET /messages/history`: the whole filtered history is searched, then paged; `total` counts all
    /// matches.
    pub async fn history(&self, caller: &Caller, params: HistoryParams) -> Result<Listed<HistoryMessage>> {
        caller.require(Scope::MessagesRead)?;
        caller.plan.require_premium("message history")?;
        let page = page(params.limit, params.offset)?;
        let start_ms = params
            .start_date
            .as_deref()
            .map(|d| parse_timestamp("startDate", d))
            .transpose()?;
        let end_ms = params
            .end_date
            .as_deref()
            .map(|d| parse_timestamp("endDate", d))
            .transpose()?;
        if let (Some(start), Some(end)) = (start_ms, end_ms)
            && start > end
        {
            return Err(GatewayError::invalid("endDate", "is before startDate"));
        }
        let search = params.search.filter(|s| !s.trim().is_empty());
        if search.as_ref().is_some_and(|s| s.chars().count() > 500) {
            return Err(GatewayError::invalid("search", "longer than 500 characters"));
        }
        let query = HistoryQuery {
            remote_jid: remote_jid(params.remote_jid.as_deref())?,
            start_ms,
            end_ms,
            search,
            limit: page.limit,
            offset: page.offset,
        };
        let record = self.own_session(caller, &params.session_id).await?;
        let found = self.engine.history(&record.id, &query).await?;
        Ok(Listed::new(found.messages, page, found.total))
    }

    /// `GET /attachments`: received media, newest first.
    pub async fn attachments(
        &self,
        caller: &Caller,
        params: AttachmentParams,
    ) -> Result<Listed<AttachmentView>> {
        caller.require(Scope::MessagesRead)?;
        caller.plan.require_premium("attachments")?;
        let page = page(params.limit, params.offset)?;
        let query = AttachmentQuery {
            remote_jid: remote_jid(params.remote_jid.as_deref())?,
            media_type: params
                .media_type
                .as_deref()
                .map(|t| media_type("mediaType", t))
                .transpose()?,
            limit: page.limit,
            offset: page.offset,
        };
        let record = self.own_session(caller, &params.session_id).await?;
        let found = self.engine.attachments(&record.id, &query).await?;
        let base = self.config.public_url.trim_end_matches('/');
        let items = found
            .attachments
            .into_iter()
            .map(|a| AttachmentView {
                url: format!(
                    "{base}/api/v1/attachments/{}/download?sessionId={}",
                    a.id, record.id
                ),
                id: a.id,
                message_id: a.message_id,
                remote_jid: a.remote_jid,
                media_type: a.media_type,
                mimetype: a.mimetype,
                file_name: a.file_name,
                size: a.size,
                sha256: a.sha256,
                timestamp: a.timestamp,
            })
            .collect();
        Ok(Listed::new(items, page, found.total))
    }

    /// `GET /attachments/{id}/download`: the decrypted file.
    pub async fn download_attachment(
        &self,
        caller: &Caller,
        attachment_id: &str,
        query: SessionQuery,
    ) -> Result<AttachmentFile> {
        caller.require(Scope::MessagesRead)?;
        caller.plan.require_premium("attachments")?;
        let attachment_id = attachment_id.trim();
        if attachment_id.is_empty() || attachment_id.len() > 200 {
            return Err(GatewayError::NotFound { what: "attachment" });
        }
        let record = self.own_session(caller, &query.session_id).await?;
        self.engine.download_attachment(&record.id, attachment_id).await
    }
}
