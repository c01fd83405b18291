"""files.getUploadURLExternal and files.completeUploadExternal (the upload itself is a POST to the URL
the first one gives)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from tests.slack.records import Call, _invalid_arguments, _SlackError, _Token


@dataclass
class UploadedFile:
    id: str
    team_id: str
    filename: str
    length: int
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


class FilesApi:
    """files.getUploadURLExternal and files.completeUploadExternal (the upload itself is a POST to the URL
    the first one gives). Mixed into ``SlackEmulator``; ``self`` is the emulator."""

    # files

    def _files_get_upload_url_external(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        filename, length = call.args.get("filename"), call.args.get("length")
        if not filename or length in (None, ""):
            raise _invalid_arguments("missing required field: " + ("filename" if not filename else "length"))
        try:
            size = int(length)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _SlackError("invalid_arguments") from None
        if size <= 0:
            raise _SlackError("invalid_arguments")
        file_id = self._new_id("F")
        self.files[file_id] = UploadedFile(
            id=file_id,
            team_id=tok.team_id,
            filename=str(filename),
            length=size,
            alt_txt=call.args.get("alt_txt"),
            snippet_type=call.args.get("snippet_type"),
        )
        return {"ok": True, "upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, call: Call, tok: _Token | None) -> dict[str, Any]:
        assert tok is not None
        files = call.args.get("files")
        if not isinstance(files, list) or not files:
            raise _invalid_arguments("missing required field: files")
        channel_id = None
        if call.args.get("channel_id") or call.args.get("channels"):
            target = call.args.get("channel_id") or str(call.args.get("channels")).split(",")[0]
            channel_id = self._channel(tok.team_id, target, posting=True)
        results = []
        for item in files:
            f = self.files.get(item.get("id")) if isinstance(item, dict) else None
            if f is None or f.team_id != tok.team_id or f.content is None:
                raise _SlackError("file_not_found")
            f.title = item.get("title") or f.filename
            f.completed = True
            f.channel_id = channel_id
            f.initial_comment = call.args.get("initial_comment")
            f.thread_ts = call.args.get("thread_ts")
            domain = self._team(tok.team_id).domain
            results.append(
                {
                    "id": f.id,
                    "created": 1_700_000_000,
                    "timestamp": 1_700_000_000,
                    "name": f.filename,
                    "title": f.title,
                    "mimetype": mimetypes.guess_type(f.filename)[0] or "application/octet-stream",
                    "filetype": f.filename.rsplit(".", 1)[-1] if "." in f.filename else "binary",
                    "user": tok.user_id,
                    "user_team": tok.team_id,
                    "size": len(f.content),
                    "is_external": False,
                    "is_public": bool(channel_id and channel_id.startswith("C")),
                    "url_private": f"https://files.slack.com/files-pri/{tok.team_id}-{f.id}/{f.filename}",
                    "permalink": f"https://{domain}.slack.com/files/{tok.user_id}/{f.id}/{f.filename}",
                }
            )
        if channel_id is not None:
            ts = self._new_ts()
            message = self._bot_message(tok, {"text": call.args.get("initial_comment") or ""}, ts)
            message["files"] = [{"id": r["id"], "name": r["name"], "title": r["title"]} for r in results]
            message["upload"] = True
            self._messages[(channel_id, ts)] = message
        return {"ok": True, "files": results}
