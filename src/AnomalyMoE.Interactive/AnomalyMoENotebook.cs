using AnomalyMoE.Interactive.Rendering;
using AnomalyMoE.Interactive.Tables;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;
using Plotly.NET;

namespace AnomalyMoE.Interactive;

/// <summary>
/// Makes the kit's results display themselves in a .NET Interactive notebook. Call <see cref="Register"/> once after
/// <c>#r "…/AnomalyMoE.Interactive.dll"</c> (the notebooks do); as a package the same happens through
/// <see cref="AnomalyMoEKernelExtension"/>.
/// </summary>
public static class AnomalyMoENotebook
{
    static int registered;

    /// <summary>Registers HTML formatters for galleries, PNGs, Plotly charts and data frames. Safe to call more than once.</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref registered, 1) == 1) return;
        Formatter.Register<PngImage>((image, writer) => writer.Write(image.ToHtml()), HtmlFormatter.MimeType);
        Formatter.Register<MapGallery>((gallery, writer) => writer.Write(gallery.ToPng().ToHtml()), HtmlFormatter.MimeType);
        Formatter.Register<GenericChart>((chart, writer) => writer.Write(ChartHtml(chart)), HtmlFormatter.MimeType);
        Formatter.Register<DataFrame>((frame, writer) => writer.Write(MetricsTables.ToHtml(frame)), HtmlFormatter.MimeType);
        foreach (var type in new[] { typeof(PngImage), typeof(MapGallery), typeof(GenericChart), typeof(DataFrame) })
            Formatter.SetPreferredMimeTypesFor(type, HtmlFormatter.MimeType);
    }

    /// <summary>The chart as an HTML fragment that loads plotly.js and draws the figure.</summary>
    public static string ChartHtml(GenericChart chart) => GenericChart.toChartHTML(chart);

    /// <summary>
    /// A progress sink for long calls: shows one line under the cell and updates it in place
    /// (outside a notebook the lines go to the console).
    /// </summary>
    public static NotebookProgress Progress(string title = "")
    {
        var prefix = title.Length > 0 ? title + " — " : "";
        if (KernelInvocationContext.Current is null) return new NotebookProgress(line => Console.WriteLine(prefix + line), TimeSpan.FromSeconds(2));
        var shown = (prefix + "starting…").Display("text/plain");
        return new NotebookProgress(line => shown.Update(prefix + line));
    }
}

/// <summary>The kernel extension entry point (package layout <c>interactive-extensions/dotnet/</c>).</summary>
public sealed class AnomalyMoEKernelExtension : IKernelExtension
{
    public Task OnLoadAsync(Kernel kernel)
    {
        AnomalyMoENotebook.Register();
        return Task.CompletedTask;
    }
}
