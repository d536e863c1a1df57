"""Upload (JSON, for the composer), reuse of a file already sent, and access-checked download of attachments.

Nothing under MEDIA_ROOT or in the bucket is reachable except through download/thumbnail below,
which ask media.services.get_attachment_for first. Local files stream from here (with single
byte ranges, so video can seek); on S3 the answer is a redirect to a presigned URL valid for five
minutes at most.
"""

import re

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from media import services
from media.images import describe_bytes

# The multipart envelope around one file: boundaries, headers, the CSRF field.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
# Sandboxed and allowed to load nothing: a file opened on its own can never run script or reach out.
# Set here rather than with django-csp's @csp(): its middleware keeps a header a view already set,
# and this way the directives keep a fixed order.
FILE_CSP = "default-src 'none'; sandbox"
CACHE_CONTROL = "private, max-age=300"
STREAM_CHUNK_BYTES = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def json_error(code, detail, status):
    return JsonResponse({"error": code, "detail": detail}, status=status)


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading a file part as soon as it passes the size limit, instead of spooling it all."""

    def __init__(self, request, max_bytes):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_bytes:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def too_large_error():
    detail = f"This file is too large. The limit is {describe_bytes(settings.ATTACHMENT_MAX_BYTES)}."
    return json_error("too_large", detail, 413)


@csrf_exempt
@require_POST
def upload(request):
    """POST one file in the field "file"; answer the attachment's JSON (201) or {"error", "detail"}.

    Upload handlers must be in place before anything reads the body, and the CSRF check reads
    it: so this outer view is exempt and the check runs in _upload, as Django's docs prescribe.
    """
    if not request.user.is_authenticated:
        return json_error("login_required", "Log in to send files.", 401)
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.ATTACHMENT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES:
        return too_large_error()
    limit = SizeLimitUploadHandler(request, settings.ATTACHMENT_MAX_BYTES)
    request.upload_handlers.insert(0, limit)
    return _upload(request, limit)


@csrf_protect
def _upload(request, limit):
    files = request.FILES.getlist("file")
    if limit.exceeded:
        return too_large_error()
    if len(files) != 1:
        detail = "Choose a file to upload." if not files else "Upload one file per request."
        return json_error("no_file" if not files else "one_file_per_request", detail, 400)
    try:
        attachment = services.store_upload(owner=request.user, uploaded_file=files[0])
    except services.Refused as refusal:
        return json_error(refusal.code, refusal.detail, refusal.status)
    return JsonResponse(services.attachment_payload(attachment), status=201)


@require_POST
def reuse(request, pk):
    """POST (CSRF-checked) to send a file again (a GIF from the picker) without uploading it: a copy
    of the file, as the owner's fresh upload, answered with the same JSON as upload (201).

    Anything the person may not fetch, and everything for a logged-out visitor, is a 404.
    """
    if not request.user.is_authenticated:
        refusal = services.not_found()
        return json_error(refusal.code, refusal.detail, refusal.status)
    try:
        attachment = services.get_attachment_for(request.user, pk)
        copy = services.copy_attachment(owner=request.user, attachment=attachment)
    except services.Refused as refusal:
        return json_error(refusal.code, refusal.detail, refusal.status)
    return JsonResponse(services.attachment_payload(copy), status=201)


def _attachment_or_404(request, pk):
    try:
        return services.get_attachment_for(request.user, pk)
    except services.Refused:
        raise Http404 from None


@require_safe
def download(request, pk):
    attachment = _attachment_or_404(request, pk)
    return _serve_original(request, attachment)


@require_safe
def thumbnail(request, pk):
    attachment = _attachment_or_404(request, pk)
    if attachment.kind != attachment.Kind.IMAGE:
        raise Http404
    if not attachment.thumbnail:
        # Pictures that fit the thumbnail box are their own thumbnail.
        return _serve_original(request, attachment)
    name = attachment.thumbnail.name
    extension = name.rsplit(".", 1)[-1]
    stem = attachment.original_name.rsplit(".", 1)[0]
    return serve_file(request, name, content_type=THUMBNAIL_TYPES[extension], inline=True,
                      download_name=f"{stem}.{extension}")


def _serve_original(request, attachment):
    return serve_file(request, attachment.file.name, content_type=attachment.content_type,
                      download_name=attachment.original_name, inline=attachment_is_inline(attachment))


THUMBNAIL_TYPES = {"webp": "image/webp", "gif": "image/gif"}
INLINE_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp",
    "video/mp4", "video/webm",
    # Safari plays every QuickTime movie; other browsers those coded H.264, as MP4 (the rest download).
    "video/quicktime",
    "audio/mpeg", "audio/mp4", "audio/ogg", "audio/webm",
}


def attachment_is_inline(attachment):
    """Only pictures and media the browser plays itself show inline; everything else downloads."""
    return attachment.content_type in INLINE_TYPES


def is_s3(storage):
    return hasattr(storage, "bucket_name") and hasattr(storage, "querystring_expire")


def serve_file(request, name, *, content_type, download_name, inline):
    disposition = content_disposition_header(not inline, download_name)
    if is_s3(default_storage):
        # The object is private: a short-lived signature is the only way in, issued after the check.
        url = default_storage.url(name, parameters={
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
            "ResponseCacheControl": CACHE_CONTROL,
        }, expire=min(default_storage.querystring_expire, 300))
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
    else:
        response = _local_file_response(request, name, content_type)
        response["Content-Disposition"] = disposition
        response["Cache-Control"] = CACHE_CONTROL
    response["Content-Security-Policy"] = FILE_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _local_file_response(request, name, content_type):
    try:
        file = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    size = file.size
    byte_range = _requested_range(request.headers.get("Range"), size)
    if byte_range is None:
        response = FileResponse(file, content_type=content_type)
        response["Content-Length"] = str(size)
    elif byte_range == "unsatisfiable":
        file.close()
        response = StreamingHttpResponse([], status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{size}"
    else:
        start, end = byte_range
        response = StreamingHttpResponse(_read_range(file, start, end), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    return response


def _requested_range(header, size):
    """(start, end) for one satisfiable byte range, "unsatisfiable", or None to send everything."""
    match = RANGE.match(header or "")
    if not match:
        return None  # absent, or several ranges: the whole file is a valid answer
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return "unsatisfiable"
    return start, end


def _read_range(file, start, end):
    try:
        file.seek(start)
        remaining = end - start + 1
        while remaining > 0:
            chunk = file.read(min(STREAM_CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        file.close()
