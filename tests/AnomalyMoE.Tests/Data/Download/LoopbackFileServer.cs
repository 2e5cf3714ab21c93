using System.Net;
using System.Net.Sockets;

namespace AnomalyMoE.Tests.Data.Download;

/// <summary>
/// Serves one byte array on 127.0.0.1 (a free port) with HTTP range support; it can cut the first
/// full-body response after a number of bytes to simulate a dropped connection. Records every Range header.
/// </summary>
public sealed class LoopbackFileServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly byte[] content;
    readonly Task loop;
    int cutsLeft;
    readonly int cutAfter;

    public Uri Url { get; }
    public List<string?> RangeHeaders { get; } = [];

    public LoopbackFileServer(byte[] content, int cutFirstResponsesAfterBytes = -1, int cuts = 1)
    {
        this.content = content;
        cutAfter = cutFirstResponsesAfterBytes;
        cutsLeft = cutFirstResponsesAfterBytes >= 0 ? cuts : 0;
        int port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        Url = new Uri($"http://127.0.0.1:{port}/file.bin");
        loop = Task.Run(ServeAsync);
    }

    static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await listener.GetContextAsync(); }
            catch (Exception) { return; }
            try { Handle(ctx); }
            catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
        }
    }

    void Handle(HttpListenerContext ctx)
    {
        var range = ctx.Request.Headers["Range"];
        lock (RangeHeaders) RangeHeaders.Add(range);
        var response = ctx.Response;
        response.ContentType = "application/octet-stream";
        long start = 0;
        if (range is { } r && r.StartsWith("bytes=", StringComparison.Ordinal) && r.EndsWith('-'))
        {
            start = long.Parse(r["bytes=".Length..^1]);
            if (start >= content.Length)
            {
                response.StatusCode = 416;
                response.Headers["Content-Range"] = $"bytes */{content.Length}";
                response.Close();
                return;
            }
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        response.ContentLength64 = content.Length - start;
        var output = response.OutputStream;
        if (Interlocked.Decrement(ref cutsLeft) >= 0)
        {
            int n = (int)Math.Min(cutAfter, content.Length - start);
            output.Write(content, (int)start, n);
            output.Flush();
            Thread.Sleep(50);
            response.Abort();
            return;
        }
        output.Write(content, (int)start, (int)(content.Length - start));
        response.Close();
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        try { loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
