//! What a file is, which decides its key-expansion label and the upload path type (messaging guide F.1).

/// The kind of an uploaded file. The kind picks the HKDF label `WhatsApp <label> Keys` that expands the
/// media key, and the MMS path type of uploads and downloads.
///
/// Names (`name`/`from_name`) are Baileys' `MediaType` keys, which also name the cases of the media
/// vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaType {
    /// `imageMessage`.
    Image,
    /// `videoMessage` without `gifPlayback`.
    Video,
    /// `videoMessage` with `gifPlayback`: video keys.
    Gif,
    /// `ptvMessage` (round video note): video keys.
    Ptv,
    /// `audioMessage` without `ptt`.
    Audio,
    /// `audioMessage` with `ptt` (voice note): audio keys.
    Ptt,
    /// `documentMessage`.
    Document,
    /// `stickerMessage`: image keys, uploaded as an image.
    Sticker,
    /// Sticker packs.
    StickerPack,
    /// Link-preview thumbnails of `extendedTextMessage`.
    LinkThumbnail,
    /// Image thumbnails (Baileys' table).
    ImageThumbnail,
    /// Video thumbnails (Baileys' table).
    VideoThumbnail,
    /// Document thumbnails (Baileys' table).
    DocumentThumbnail,
    /// History-sync blobs.
    History,
    /// App-state external blobs.
    AppState,
    /// Product images: image keys.
    Product,
    /// Business cover photos: image keys.
    BizCoverPhoto,
    /// Payment backgrounds.
    PaymentBackground,
    /// Profile pictures: an empty label (`"WhatsApp  Keys"`, two spaces), as Baileys maps it.
    ProfilePicture,
    /// Product-catalog images: an empty label, as Baileys maps it.
    ProductCatalogImage,
}

impl MediaType {
    /// Every media type.
    pub const ALL: [MediaType; 20] = [
        MediaType::Image,
        MediaType::Video,
        MediaType::Gif,
        MediaType::Ptv,
        MediaType::Audio,
        MediaType::Ptt,
        MediaType::Document,
        MediaType::Sticker,
        MediaType::StickerPack,
        MediaType::LinkThumbnail,
        MediaType::ImageThumbnail,
        MediaType::VideoThumbnail,
        MediaType::DocumentThumbnail,
        MediaType::History,
        MediaType::AppState,
        MediaType::Product,
        MediaType::BizCoverPhoto,
        MediaType::PaymentBackground,
        MediaType::ProfilePicture,
        MediaType::ProductCatalogImage,
    ];

    /// The type's name: `image`, `ptt`, `md-msg-hist`, `thumbnail-link`, …
    pub const fn name(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Video => "video",
            MediaType::Gif => "gif",
            MediaType::Ptv => "ptv",
            MediaType::Audio => "audio",
            MediaType::Ptt => "ptt",
            MediaType::Document => "document",
            MediaType::Sticker => "sticker",
            MediaType::StickerPack => "sticker-pack",
            MediaType::LinkThumbnail => "thumbnail-link",
            MediaType::ImageThumbnail => "thumbnail-image",
            MediaType::VideoThumbnail => "thumbnail-video",
            MediaType::DocumentThumbnail => "thumbnail-document",
            MediaType::History => "md-msg-hist",
            MediaType::AppState => "md-app-state",
            MediaType::Product => "product",
            MediaType::BizCoverPhoto => "biz-cover-photo",
            MediaType::PaymentBackground => "payment-bg-image",
            MediaType::ProfilePicture => "ppic",
            MediaType::ProductCatalogImage => "product-catalog-image",
        }
    }

    /// The type with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<MediaType> {
        MediaType::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The HKDF `info` that expands a media key of this type.
    pub const fn hkdf_info(self) -> &'static str {
        match self {
            MediaType::Image | MediaType::Sticker | MediaType::Product | MediaType::BizCoverPhoto => {
                "WhatsApp Image Keys"
            }
            MediaType::Video | MediaType::Gif | MediaType::Ptv => "WhatsApp Video Keys",
            MediaType::Audio | MediaType::Ptt => "WhatsApp Audio Keys",
            MediaType::Document => "WhatsApp Document Keys",
            MediaType::StickerPack => "WhatsApp Sticker Pack Keys",
            MediaType::LinkThumbnail => "WhatsApp Link Thumbnail Keys",
            MediaType::ImageThumbnail => "WhatsApp Image Thumbnail Keys",
            MediaType::VideoThumbnail => "WhatsApp Video Thumbnail Keys",
            MediaType::DocumentThumbnail => "WhatsApp Document Thumbnail Keys",
            MediaType::History => "WhatsApp History Keys",
            MediaType::AppState => "WhatsApp App State Keys",
            MediaType::PaymentBackground => "WhatsApp Payment Background Keys",
            MediaType::ProfilePicture | MediaType::ProductCatalogImage => "WhatsApp  Keys",
        }
    }

    /// The MMS path type (`/mms/<type>/…` on upload, `mms-type=<type>` on download), where the reference
    /// libraries define one. Follows whatsmeow where the two disagree: history blobs go to
    /// `md-msg-hist` (Baileys uploads them to `md-app-state`) and link thumbnails to `thumbnail-link`
    /// (Baileys: `image`).
    pub const fn mms_type(self) -> Option<&'static str> {
        Some(match self {
            MediaType::Image | MediaType::Sticker => "image",
            MediaType::Video | MediaType::Gif | MediaType::Ptv => "video",
            MediaType::Audio | MediaType::Ptt => "audio",
            MediaType::Document => "document",
            MediaType::StickerPack => "sticker-pack",
            MediaType::LinkThumbnail => "thumbnail-link",
            MediaType::History => "md-msg-hist",
            MediaType::AppState => "md-app-state",
            _ => return None,
        })
    }
}

impl std::fmt::Display for MediaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for kind in MediaType::ALL {
            assert_eq!(MediaType::from_name(kind.name()), Some(kind));
        }
        assert_eq!(MediaType::from_name("photo"), None);
    }

    #[test]
    fn variants_share_their_base_type_keys_and_path() {
        assert_eq!(MediaType::Gif.hkdf_info(), MediaType::Video.hkdf_info());
        assert_eq!(MediaType::Ptt.mms_type(), Some("audio"));
        assert_eq!(MediaType::Sticker.mms_type(), Some("image"));
        assert_eq!(MediaType::ProfilePicture.hkdf_info(), "WhatsApp  Keys");
        assert_eq!(MediaType::ProfilePicture.mms_type(), None);
    }
}
