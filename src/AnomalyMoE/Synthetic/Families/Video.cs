using SkiaSharp;

namespace AnomalyMoE.Synthetic.Families;

/// <summary>
/// UCSD Ped2-like surveillance frames from a static camera: pedestrians (small upright figures, smaller
/// further away) walk along the scene, and consecutive frames of a clip show them moving on. Anomalous
/// frames contain a cyclist or a vehicle, larger and faster than any pedestrian.
/// </summary>
public abstract class SurveillanceCategory : CanvasCategory
{
    public override string Family => "video";
    public override int ClipLength => 8;
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } = [AnomalyKind.Structural("cyclist"), AnomalyKind.Structural("vehicle")];
    protected override float LightingStrength => 0.08f;

    /// <summary>Draws the static scene (the camera never moves; only lighting and noise change).</summary>
    protected abstract void DrawScene(SKCanvas canvas);

    /// <summary>A pedestrian's start point and velocity (reference pixels per frame), from the clip stream.</summary>
    protected abstract (SKPoint Start, SKPoint Velocity) Walker(SynthRandom clip);

    /// <summary>Wraps a moving point back into the walkable area.</summary>
    protected abstract SKPoint Wrap(SKPoint point);

    /// <summary>Apparent size at a height in the frame (perspective).</summary>
    protected virtual float ScaleAt(float y) => 0.55f + 0.65f * (y / ReferenceSize);

    protected override void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly)
    {
        DrawScene(canvas);
        var clip = context.Clip;
        var frame = context.Frame;
        // Cloud shadows drift across the scene: large, soft, slow changes that a pixel template cannot hold.
        var clouds = clip.Int(1, 4);
        for (var c = 0; c < clouds; c++)
        {
            var centre = new SKPoint(clip.Range(-40, 296) + clip.Jitter(0, 1.5f) * frame, clip.Range(-40, 296) + clip.Jitter(0, 1f) * frame);
            var radius = clip.Range(50, 130);
            var darkness = (byte)clip.Range(40, 90);
            using var shade = new SKPaint
            {
                Shader = SKShader.CreateRadialGradient(centre, radius, [new SKColor(0, 0, 20, darkness), new SKColor(0, 0, 20, 0)], SKShaderTileMode.Clamp),
            };
            canvas.DrawCircle(centre, radius, shade);
        }
        var count = clip.Int(6, 17);
        var figures = new List<(SKPoint At, float Phase, SKColor Shirt, SKColor Trousers)>();
        for (var i = 0; i < count; i++)
        {
            var (start, velocity) = Walker(clip);
            var at = Wrap(new SKPoint(start.X + velocity.X * frame, start.Y + velocity.Y * frame));
            figures.Add((at, clip.Range(0, MathF.Tau) + frame * 0.9f, Shapes.Hsv(clip.Range(0, 360), clip.Range(0.2f, 0.8f), clip.Range(0.2f, 0.8f)),
                Shapes.Hsv(clip.Range(200, 240), 0.3f, clip.Range(0.15f, 0.4f))));
        }
        // Farther figures first, so nearer ones overlap them.
        foreach (var f in figures.OrderBy(f => f.At.Y)) DrawPedestrian(canvas, f.At, ScaleAt(f.At.Y), f.Phase, f.Shirt, f.Trousers);

        if (anomaly == null) return;
        // The intruder moves with the clip too: its path comes from the clip stream, its look from the defect stream.
        var path = clip.Fork("intruder/" + anomaly.Name);
        var (s, v) = Walker(path);
        var speed = path.Range(2.2f, 3.2f);
        var position = Wrap(new SKPoint(s.X + v.X * speed * frame, s.Y + v.Y * speed * frame));
        var d = context.Defect;
        var colour = Shapes.Hsv(d.Range(0, 360), d.Range(0.2f, 0.7f), d.Range(0.3f, 0.8f));
        var scale = ScaleAt(position.Y);
        if (anomaly.Name == "cyclist") DrawCyclist(canvas, position, scale, v.X >= 0, colour);
        else DrawVehicle(canvas, position, scale, v.X >= 0, colour);
    }

    static void DrawPedestrian(SKCanvas canvas, SKPoint at, float scale, float phase, SKColor shirt, SKColor trousers)
    {
        canvas.Save();
        canvas.Translate(at.X, at.Y);
        canvas.Scale(scale);
        using (var shadow = Shapes.Fill(new SKColor(0, 0, 0, 60))) canvas.DrawOval(2, 0, 6, 2, shadow);
        var swing = MathF.Sin(phase) * 3;
        using (var legs = Shapes.Stroke(trousers, 2.6f))
        {
            canvas.DrawLine(-1.5f, -9, -1.5f + swing, 0, legs);
            canvas.DrawLine(1.5f, -9, 1.5f - swing, 0, legs);
        }
        using (var body = Shapes.Fill(shirt)) canvas.DrawRoundRect(-4, -20, 8, 12, 3, 3, body);
        using (var head = Shapes.Fill(new SKColor(200, 160, 130))) canvas.DrawCircle(0, -23.5f, 3.2f, head);
        using (var hair = Shapes.Fill(new SKColor(50, 40, 30))) canvas.DrawCircle(0, -24.5f, 2.6f, hair);
        canvas.Restore();
    }

    static void DrawCyclist(SKCanvas canvas, SKPoint at, float scale, bool right, SKColor colour)
    {
        canvas.Save();
        canvas.Translate(at.X, at.Y);
        canvas.Scale(scale * (right ? 1 : -1), scale);
        using (var shadow = Shapes.Fill(new SKColor(0, 0, 0, 60))) canvas.DrawOval(0, 0, 16, 3, shadow);
        using (var wheel = Shapes.Stroke(Shapes.Gray(0.1f), 2.2f)) { canvas.DrawCircle(-10, -6, 6, wheel); canvas.DrawCircle(10, -6, 6, wheel); }
        using (var frame = Shapes.Stroke(colour, 2.2f))
        {
            canvas.DrawLine(-10, -6, -2, -14, frame); canvas.DrawLine(-2, -14, 10, -6, frame);
            canvas.DrawLine(-2, -14, 8, -15, frame); canvas.DrawLine(-10, -6, 0, -6, frame);
        }
        using (var rider = Shapes.Fill(Shapes.Hsv(0, 0, 0.25f))) canvas.DrawRoundRect(-6, -30, 8, 15, 3, 3, rider);
        using (var arm = Shapes.Stroke(Shapes.Gray(0.25f), 2.4f)) canvas.DrawLine(0, -26, 8, -16, arm);
        using (var head = Shapes.Fill(new SKColor(200, 160, 130))) canvas.DrawCircle(-1, -33, 3.4f, head);
        using (var helmet = Shapes.Fill(colour)) canvas.DrawOval(-1, -35, 3.8f, 2.2f, helmet);
        canvas.Restore();
    }

    static void DrawVehicle(SKCanvas canvas, SKPoint at, float scale, bool right, SKColor colour)
    {
        canvas.Save();
        canvas.Translate(at.X, at.Y);
        canvas.Scale(scale * (right ? 1 : -1), scale);
        using (var shadow = Shapes.Fill(new SKColor(0, 0, 0, 70))) canvas.DrawOval(0, 0, 22, 4, shadow);
        using (var body = Shapes.Fill(colour))
        {
            canvas.DrawRoundRect(-20, -16, 40, 12, 4, 4, body);
            canvas.DrawRoundRect(-11, -25, 22, 11, 4, 4, body);
        }
        using (var glass = Shapes.Fill(new SKColor(160, 200, 230))) { canvas.DrawRect(-8, -23, 7, 7, glass); canvas.DrawRect(1, -23, 7, 7, glass); }
        using (var wheel = Shapes.Fill(Shapes.Gray(0.08f))) { canvas.DrawCircle(-11, -4, 4.5f, wheel); canvas.DrawCircle(11, -4, 4.5f, wheel); }
        canvas.Restore();
    }
}

/// <summary>A walkway between lawns seen from above and behind, with a lamp post and a bench; people walk up and down it.</summary>
public sealed class WalkwayCategory : SurveillanceCategory
{
    public override string Name => "walkway";

    protected override SKColor Background(SceneContext context) => new(96, 128, 70);

    protected override void DrawScene(SKCanvas canvas)
    {
        // The camera is fixed: the lawn's texture is the same in every frame.
        Shapes.Noise(canvas, SynthRandom.ForImage(0, Family, Name, "scene", 0), new SKRect(0, 0, 256, 256), 0.08f, 110, SKBlendMode.Overlay);
        using var walk = new SKPath();
        walk.MoveTo(92, 0); walk.LineTo(164, 0); walk.LineTo(226, 256); walk.LineTo(30, 256); walk.Close();
        using (var paving = Shapes.Fill(new SKColor(168, 164, 156))) canvas.DrawPath(walk, paving);
        using (var joints = Shapes.Stroke(new SKColor(140, 136, 128), 1.2f))
        {
            for (var y = 8f; y < 256; y += 6 + y * 0.08f)
            {
                var t = y / 256;
                canvas.DrawLine(92 - 62 * t, y, 164 + 62 * t, y, joints);
            }
        }
        using (var kerb = Shapes.Stroke(new SKColor(120, 118, 112), 2.5f)) { canvas.DrawLine(92, 0, 30, 256, kerb); canvas.DrawLine(164, 0, 226, 256, kerb); }
        using (var bench = Shapes.Fill(new SKColor(110, 80, 50))) { canvas.DrawRect(226, 120, 18, 30, bench); }
        using (var lamp = Shapes.Stroke(new SKColor(50, 50, 55), 3)) canvas.DrawLine(28, 60, 28, 140, lamp);
        using (var bushes = Shapes.Fill(new SKColor(60, 100, 50))) { canvas.DrawCircle(12, 200, 16, bushes); canvas.DrawCircle(246, 30, 14, bushes); }
    }

    protected override (SKPoint Start, SKPoint Velocity) Walker(SynthRandom clip)
    {
        var y = clip.Range(20, 250);
        var t = y / 256;
        var x = clip.Range(96 - 58 * t, 160 + 58 * t);
        var speed = clip.Range(1.2f, 2.6f) * (clip.Chance(0.5) ? 1 : -1);
        return (new SKPoint(x, y), new SKPoint(clip.Jitter(0, 0.3f), speed));
    }

    protected override SKPoint Wrap(SKPoint p)
    {
        var y = 20 + ((p.Y - 20) % 232 + 232) % 232;
        return new SKPoint(p.X, y);
    }
}

/// <summary>A tiled plaza with a fountain; people cross it in every direction.</summary>
public sealed class PlazaCategory : SurveillanceCategory
{
    public override string Name => "plaza";

    protected override SKColor Background(SceneContext context) => new(190, 178, 150);

    protected override void DrawScene(SKCanvas canvas)
    {
        using (var tile = Shapes.Fill(new SKColor(170, 158, 132)))
        {
            for (var y = 0; y < 256; y += 16)
                for (var x = (y / 16 % 2) * 16; x < 256; x += 32) canvas.DrawRect(x, y, 16, 16, tile);
        }
        using (var rim = Shapes.Fill(new SKColor(140, 140, 150))) canvas.DrawCircle(128, 110, 30, rim);
        using (var water = Shapes.Fill(new SKColor(90, 140, 190))) canvas.DrawCircle(128, 110, 24, water);
        using (var planter = Shapes.Fill(new SKColor(80, 120, 60))) { canvas.DrawRect(10, 10, 40, 22, planter); canvas.DrawRect(206, 224, 40, 22, planter); }
    }

    protected override (SKPoint Start, SKPoint Velocity) Walker(SynthRandom clip)
    {
        var start = new SKPoint(clip.Range(10, 246), clip.Range(30, 250));
        var heading = clip.Range(0, MathF.Tau);
        var speed = clip.Range(1.0f, 2.2f);
        return (start, new SKPoint(MathF.Cos(heading) * speed, MathF.Sin(heading) * speed * 0.6f));
    }

    protected override SKPoint Wrap(SKPoint p) =>
        new(10 + ((p.X - 10) % 236 + 236) % 236, 30 + ((p.Y - 30) % 220 + 220) % 220);
}
