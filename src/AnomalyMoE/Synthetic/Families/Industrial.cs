using SkiaSharp;

namespace AnomalyMoE.Synthetic.Families;

/// <summary>
/// MVTec AD / VisA-like woven fabric: strands over and under in a rotated, phase-shifted grid whose
/// period, strand widths and colour vary; surface defects on top.
/// </summary>
public sealed class WeaveCategory : CanvasCategory
{
    public override string Family => "industrial";
    public override string Name => "weave";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
        [AnomalyKind.Structural("hole"), AnomalyKind.Structural("stain"), AnomalyKind.Structural("color_spot"), AnomalyKind.Structural("scratch")];

    protected override SKColor Background(SceneContext context) => new(40, 38, 36);

    protected override void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly)
    {
        var rng = context.Layout;
        var hue = rng.Jitter(210, 10);
        var saturation = rng.Jitter(0.35f, 0.06f);
        var value = rng.Jitter(0.62f, 0.06f);
        var period = rng.Jitter(15f, 1.5f);
        var angle = rng.Jitter(0, 12);
        var phase = (X: rng.Range(0, period), Y: rng.Range(0, period));
        var light = Shapes.Hsv(hue, saturation * 0.8f, value + 0.12f);
        var dark = Shapes.Hsv(hue, saturation, value - 0.12f);
        canvas.Save();
        canvas.RotateDegrees(angle, 128, 128);
        canvas.Translate(phase.X, phase.Y);
        using var lightPaint = Shapes.Fill(light);
        using var darkPaint = Shapes.Fill(dark);
        using var gap = Shapes.Stroke(Shapes.Hsv(hue, saturation, value - 0.3f), 0.8f);
        var count = (int)(400 / period);
        for (var j = -count / 2; j < count; j++)
        {
            for (var i = -count / 2; i < count; i++)
            {
                var x = i * period;
                var y = j * period;
                var width = period * rng.Jitter(0.78f, 0.06f);
                var over = ((i + j) & 1) == 0;
                // The strand on top spans the cell lengthwise; the one below peeks out across it.
                var horizontal = new SKRect(x, y + (period - width) / 2, x + period, y + (period + width) / 2);
                var vertical = new SKRect(x + (period - width) / 2, y, x + (period + width) / 2, y + period);
                canvas.DrawRoundRect(over ? vertical : horizontal, 2, 2, darkPaint);
                canvas.DrawRoundRect(over ? horizontal : vertical, 3, 3, lightPaint);
                canvas.DrawRoundRect(over ? horizontal : vertical, 3, 3, gap);
            }
        }
        Shapes.Noise(canvas, rng, new SKRect(-60, -60, 316, 316), 0.3f, 110, SKBlendMode.Overlay);
        canvas.Restore();

        if (anomaly == null) return;
        var d = context.Defect;
        var (cx, cy) = (d.Range(40, 216), d.Range(40, 216));
        switch (anomaly.Name)
        {
            case "hole":
                using (var path = Shapes.Blob(d, cx, cy, d.Range(6, 12), 0.3f))
                {
                    using var frayed = Shapes.Stroke(light, 2.5f);
                    canvas.DrawPath(path, frayed);
                    using var inside = Shapes.Fill(new SKColor(18, 16, 15));
                    canvas.DrawPath(path, inside);
                }
                break;
            case "stain":
                using (var path = Shapes.Blob(d, cx, cy, d.Range(12, 24), 0.35f, d.Range(0.7f, 1.4f), d.Range(0, 3)))
                using (var paint = Shapes.Fill(Shapes.Hsv(d.Jitter(30, 10), 0.7f, 0.25f, 150)))
                    canvas.DrawPath(path, paint);
                break;
            case "color_spot":
                using (var path = Shapes.Blob(d, cx, cy, d.Range(5, 10), 0.25f))
                using (var paint = Shapes.Fill(Shapes.Hsv(hue + 180 + d.Jitter(0, 40), 0.85f, 0.8f)))
                    canvas.DrawPath(path, paint);
                break;
            case "scratch":
                using (var path = Shapes.Arc(d, cx, cy, d.Range(40, 90), d.Range(0, MathF.PI)))
                using (var paint = Shapes.Stroke(Shapes.Hsv(hue, 0.1f, 0.95f), Shapes.AtLeast(canvas, d.Range(1.8f, 3f), 1.5f)))
                    canvas.DrawPath(path, paint);
                break;
        }
    }
}

/// <summary>A hexagonal metal nut on a plate: position, rotation, size, sheen and outline vary; surface defects on its face.</summary>
public sealed class NutCategory : CanvasCategory
{
    public override string Family => "industrial";
    public override string Name => "nut";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
        [AnomalyKind.Structural("scratch"), AnomalyKind.Structural("crack"), AnomalyKind.Structural("color_spot")];

    protected override SKColor Background(SceneContext context) => Shapes.Gray(context.Layout.Jitter(0.2f, 0.04f));

    protected override void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly)
    {
        var rng = context.Layout;
        rng.NextDouble(); // the background draw
        Shapes.Noise(canvas, rng, new SKRect(0, 0, 256, 256), 0.05f, 90, SKBlendMode.Overlay);
        var (cx, cy) = (rng.Jitter(128, 16), rng.Jitter(128, 16));
        var radius = rng.Jitter(80, 5);
        var rotation = rng.Range(0, MathF.Tau);
        var metal = rng.Jitter(0.62f, 0.06f);
        var sheen = rng.Range(0, MathF.Tau);
        var hexagon = Shapes.Polygon(rng, cx, cy, radius, 6, rotation, 1.5f);
        var (sx, sy) = (MathF.Cos(sheen) * radius, MathF.Sin(sheen) * radius);
        using (var face = new SKPaint
               {
                   IsAntialias = true,
                   Shader = SKShader.CreateLinearGradient(new SKPoint(cx - sx, cy - sy), new SKPoint(cx + sx, cy + sy),
                       [Shapes.Gray(metal - 0.2f), Shapes.Gray(metal + 0.15f), Shapes.Gray(metal - 0.1f)], SKShaderTileMode.Clamp),
               })
            canvas.DrawPath(hexagon, face);
        using (var edge = Shapes.Stroke(Shapes.Gray(metal - 0.3f), 2)) canvas.DrawPath(hexagon, edge);
        using (var chamfer = Shapes.Stroke(Shapes.Gray(metal + 0.08f), 3)) canvas.DrawCircle(cx, cy, radius * 0.84f, chamfer);
        var hole = radius * rng.Jitter(0.45f, 0.02f);
        using (var bore = Shapes.Fill(Shapes.Gray(0.08f))) canvas.DrawCircle(cx, cy, hole, bore);
        using (var thread = Shapes.Stroke(Shapes.Gray(metal - 0.15f), 1.6f))
        {
            for (var r = hole * 0.95f; r > hole * 0.6f; r -= 4) canvas.DrawCircle(cx + rng.Jitter(0, 0.6f), cy + rng.Jitter(0, 0.6f), r, thread);
        }
        hexagon.Dispose();

        if (anomaly == null) return;
        var d = context.Defect;
        var at = d.Range(0, MathF.Tau);
        var distance = radius * d.Range(0.56f, 0.78f);
        var (px, py) = (cx + MathF.Cos(at) * distance, cy + MathF.Sin(at) * distance);
        switch (anomaly.Name)
        {
            case "scratch":
                // A gouge: dark groove with a bright burr, visible on both the shiny and the dull side of the face.
                using (var path = Shapes.Arc(d, px, py, d.Range(22, 40), at + MathF.PI / 2 + d.Jitter(0, 0.4f)))
                using (var burr = Shapes.Stroke(Shapes.Gray(0.97f), Shapes.AtLeast(canvas, d.Range(2.8f, 3.6f), 2.4f)))
                using (var groove = Shapes.Stroke(Shapes.Gray(0.18f), Shapes.AtLeast(canvas, 1.4f, 1.2f)))
                {
                    canvas.DrawPath(path, burr);
                    canvas.DrawPath(path, groove);
                }
                break;
            case "crack":
                using (var path = Shapes.Crack(d, cx + MathF.Cos(at) * radius * 0.9f, cy + MathF.Sin(at) * radius * 0.9f, d.Range(22, 34), 6, at + MathF.PI))
                using (var paint = Shapes.Stroke(Shapes.Gray(0.05f), Shapes.AtLeast(canvas, d.Range(1.8f, 2.8f), 1.5f)))
                    canvas.DrawPath(path, paint);
                break;
            case "color_spot":
                using (var path = Shapes.Blob(d, px, py, d.Range(5, 9), 0.3f))
                using (var paint = Shapes.Fill(Shapes.Hsv(d.Jitter(22, 8), 0.8f, 0.55f)))
                    canvas.DrawPath(path, paint);
                break;
        }
    }
}

/// <summary>
/// A VisA-like circuit board with parts at nominal places (each jittered): two chips, three capacitors,
/// an LED and four resistors. Component anomalies change one part; a scratch is the structural one.
/// </summary>
public sealed class BoardCategory : CanvasCategory
{
    public override string Family => "industrial";
    public override string Name => "board";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
    [
        AnomalyKind.Component("deformed_part"), AnomalyKind.Component("wrong_color_part"),
        AnomalyKind.Component("wrong_type_part"), AnomalyKind.Structural("scratch"),
    ];

    enum Kind { Chip, Capacitor, Led, Resistor }

    sealed record Part(Kind Kind, float X, float Y, float W, float H);

    static readonly Part[] Nominal =
    [
        new(Kind.Chip, -40, -22, 44, 30), new(Kind.Chip, 38, -26, 28, 28),
        new(Kind.Capacitor, -52, 34, 18, 18), new(Kind.Capacitor, -18, 34, 18, 18), new(Kind.Capacitor, 16, 34, 18, 18),
        new(Kind.Led, 58, 30, 12, 12),
        new(Kind.Resistor, -70, -40, 16, 7), new(Kind.Resistor, -70, -10, 16, 7), new(Kind.Resistor, 72, -2, 16, 7), new(Kind.Resistor, 50, 58, 16, 7),
    ];

    protected override SKColor Background(SceneContext context) => Shapes.Gray(context.Layout.Jitter(0.82f, 0.05f));

    protected override void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly)
    {
        var rng = context.Layout;
        rng.NextDouble(); // the background draw
        var (cx, cy) = (rng.Jitter(128, 12), rng.Jitter(128, 12));
        canvas.Save();
        canvas.Translate(cx, cy);
        canvas.RotateDegrees(rng.Jitter(0, 7));
        var green = rng.Jitter(140, 8);
        using (var board = Shapes.Fill(Shapes.Hsv(green, 0.7f, rng.Jitter(0.42f, 0.05f)))) canvas.DrawRoundRect(-95, -72, 190, 144, 6, 6, board);
        using (var trace = Shapes.Stroke(Shapes.Hsv(green, 0.5f, 0.62f), 1.6f))
        {
            canvas.DrawLine(-70, -40, -40, -22, trace); canvas.DrawLine(-70, -10, -40, -22, trace);
            canvas.DrawLine(-40, -22, 38, -26, trace); canvas.DrawLine(38, -26, 72, -2, trace);
            canvas.DrawLine(-52, 34, 16, 34, trace); canvas.DrawLine(16, 34, 58, 30, trace); canvas.DrawLine(58, 30, 50, 58, trace);
        }
        using (var hole = Shapes.Fill(Shapes.Gray(0.85f)))
            foreach (var (hx, hy) in new[] { (-86f, -63f), (86f, -63f), (-86f, 63f), (86f, 63f) }) canvas.DrawCircle(hx, hy, 3.5f, hole);

        var parts = Nominal.Select(p => p with { X = p.X + rng.Jitter(0, 2.5f), Y = p.Y + rng.Jitter(0, 2.5f) }).ToArray();
        var angles = parts.Select(_ => rng.Jitter(0, 5)).ToArray();
        var ledHue = rng.Jitter(0, 6);

        var d = context.Defect;
        var target = anomaly?.Level == AnomalyLevel.Component ? d.Int(0, parts.Length) : -1;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var kind = part.Kind;
            var hueShift = 0f;
            var (scaleX, scaleY, skew) = (1f, 1f, 0f);
            if (i == target)
            {
                switch (anomaly!.Name)
                {
                    case "deformed_part": (scaleX, scaleY, skew) = (d.Range(1.25f, 1.45f), d.Range(0.55f, 0.7f), d.Range(0.3f, 0.5f) * (d.Chance(0.5) ? 1 : -1)); break;
                    case "wrong_color_part": hueShift = d.Range(110, 250); break;
                    case "wrong_type_part": kind = kind switch { Kind.Chip => Kind.Capacitor, Kind.Capacitor => Kind.Chip, Kind.Led => Kind.Resistor, _ => Kind.Led }; break;
                }
            }
            canvas.Save();
            canvas.Translate(part.X, part.Y);
            canvas.RotateDegrees(angles[i]);
            canvas.Scale(scaleX, scaleY);
            if (skew != 0) canvas.Skew(skew, 0);
            DrawPart(canvas, kind, part.W, part.H, hueShift, ledHue);
            canvas.Restore();
        }
        canvas.Restore();

        if (anomaly?.Name == "scratch")
        {
            var (px, py) = (cx + d.Range(-70, 70), cy + d.Range(-50, 50));
            using var path = Shapes.Arc(d, px, py, d.Range(35, 70), d.Range(0, MathF.PI));
            using var paint = Shapes.Stroke(Shapes.Gray(0.93f), Shapes.AtLeast(canvas, d.Range(1.8f, 2.6f), 1.5f));
            canvas.DrawPath(path, paint);
        }
    }

    static void DrawPart(SKCanvas canvas, Kind kind, float w, float h, float hueShift, float ledHue)
    {
        switch (kind)
        {
            case Kind.Chip:
                using (var pin = Shapes.Fill(Shapes.Gray(0.75f)))
                    for (var x = -w / 2 + 4; x < w / 2 - 2; x += 6) { canvas.DrawRect(x, -h / 2 - 4, 2.5f, 4, pin); canvas.DrawRect(x, h / 2, 2.5f, 4, pin); }
                using (var body = Shapes.Fill(hueShift == 0 ? Shapes.Gray(0.12f) : Shapes.Hsv(hueShift, 0.8f, 0.85f))) canvas.DrawRect(-w / 2, -h / 2, w, h, body);
                using (var dot = Shapes.Fill(Shapes.Gray(0.45f))) canvas.DrawCircle(-w / 2 + 4, -h / 2 + 4, 1.8f, dot);
                break;
            case Kind.Capacitor:
                using (var can = Shapes.Fill(Shapes.Hsv(215 + hueShift, hueShift == 0 ? 0.08f : 0.9f, 0.8f))) canvas.DrawCircle(0, 0, w / 2, can);
                using (var rim = Shapes.Stroke(Shapes.Gray(0.35f), 1.5f)) canvas.DrawCircle(0, 0, w / 2, rim);
                using (var cross = Shapes.Stroke(Shapes.Gray(0.45f), 1.2f)) { canvas.DrawLine(-w / 4, 0, w / 4, 0, cross); canvas.DrawLine(0, -w / 4, 0, w / 4, cross); }
                break;
            case Kind.Led:
                using (var led = Shapes.Fill(Shapes.Hsv(ledHue + hueShift, 0.9f, 0.9f))) canvas.DrawCircle(0, 0, w / 2, led);
                using (var glint = Shapes.Fill(new SKColor(255, 255, 255, 170))) canvas.DrawCircle(-w / 6, -w / 6, w / 6, glint);
                break;
            case Kind.Resistor:
                using (var body = Shapes.Fill(Shapes.Hsv(35 + hueShift, hueShift == 0 ? 0.35f : 0.9f, 0.85f))) canvas.DrawRoundRect(-w / 2, -h / 2, w, h, 3, 3, body);
                using (var band = Shapes.Fill(Shapes.Hsv(0, 0.8f, 0.5f)))
                    for (var b = 0; b < 3; b++) canvas.DrawRect(-w / 2 + 3 + b * 4, -h / 2, 1.6f, h, band);
                break;
        }
    }
}
