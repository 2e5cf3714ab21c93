# Writes mini.tar.xz, the tiny .tar.xz that ArchiveExtractorTests unpacks (xz cannot be written from .NET).
import io, lzma, tarfile

buffer = io.BytesIO()
with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
    for name, text in [("mini/a.txt", b"hello xz\n"), ("mini/sub/b.txt", b"second file\n")]:
        info = tarfile.TarInfo(name)
        info.size = len(text)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(text))
with open("mini.tar.xz", "wb") as f:
    f.write(lzma.compress(buffer.getvalue(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64))
