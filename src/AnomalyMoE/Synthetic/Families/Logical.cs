using SkiaSharp;

namespace AnomalyMoE.Synthetic.Families;

/// <summary>
/// MVTec LOCO-like breakfast box: a tray of 2 × 3 compartments whose contents are fixed by rule
/// (one apple, two oranges, one banana, three sweets, one pear, two plums), each item placed and turned
/// freely inside its compartment. Logical anomalies break the rule with intact items; a damaged item is
/// the structural one.
/// </summary>
public sealed class CompartmentBoxCategory : CanvasCategory
{
    public override string Family => "logical";
    public override string Name => "compartment_box";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
    [
        AnomalyKind.Logical("missing_item"), AnomalyKind.Logical("extra_item"), AnomalyKind.Logical("swapped_items"),
        AnomalyKind.Structural("damaged_item"),
    ];

    enum Shape { Circle, Bar, Square, Triangle }

    sealed record Rule(Shape Shape, float Hue, float Size, int Count);

    static readonly Rule[] Rules =
    [
        new(Shape.Circle, 2, 15, 1), new(Shape.Circle, 30, 10, 2), new(Shape.Bar, 52, 13, 1),
        new(Shape.Square, 220, 7, 3), new(Shape.Triangle, 100, 14, 1), new(Shape.Circle, 285, 8, 2),
    ];

    sealed record Item(int Rule, float X, float Y, float Angle);

    protected override SKColor Background(SceneContext context) => Shapes.Gray(context.Layout.Jitter(0.3f, 0.04f));

    protected override void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly)
    {
        var rng = context.Layout;
        rng.NextDouble(); // the background draw
        var (cx, cy) = (rng.Jitter(128, 8), rng.Jitter(128, 8));
        var trayAngle = rng.Jitter(0, 4);
        var trayValue = rng.Jitter(0.72f, 0.05f);
        const float cellW = 68, cellH = 72;
        var items = new List<Item>();
        for (var c = 0; c < Rules.Length; c++)
            items.AddRange(PlaceItems(rng, c, Rules[c], c, []));

        var d = context.Defect;
        var damaged = -1;
        switch (anomaly?.Name)
        {
            case "missing_item":
                items.RemoveAt(d.Int(0, items.Count));
                break;
            case "extra_item":
            {
                var c = d.Int(0, Rules.Length);
                items.AddRange(PlaceItems(d, c, Rules[c] with { Count = 1 }, c, items.Where(i => CellOf(i) == c).ToList()));
                break;
            }
            case "swapped_items":
            {
                var a = d.Int(0, Rules.Length);
                var b = (a + d.Int(1, Rules.Length)) % Rules.Length;
                // Rule indices move to the other compartment; positions are re-drawn inside it.
                var moved = new List<Item>();
                foreach (var item in items)
                {
                    var cell = CellOf(item);
                    if (cell != a && cell != b) { moved.Add(item); continue; }
                    var target = cell == a ? b : a;
                    var (ox, oy) = (Cell(target).X - Cell(cell).X, Cell(target).Y - Cell(cell).Y);
                    moved.Add(item with { X = item.X + ox, Y = item.Y + oy, Rule = item.Rule + 100 * (target + 1) });
                }
                items = moved;
                break;
            }
            case "damaged_item":
                damaged = d.Int(0, items.Count);
                break;
        }

        canvas.Save();
        canvas.Translate(cx, cy);
        canvas.RotateDegrees(trayAngle);
        canvas.Translate(-cellW * 1.5f, -cellH);
        using (var tray = Shapes.Fill(Shapes.Hsv(35, 0.3f, trayValue))) canvas.DrawRoundRect(-6, -6, cellW * 3 + 12, cellH * 2 + 12, 8, 8, tray);
        using (var floor = Shapes.Fill(Shapes.Hsv(35, 0.25f, trayValue - 0.12f)))
        using (var wall = Shapes.Stroke(Shapes.Hsv(35, 0.3f, trayValue + 0.12f), 3))
        {
            for (var c = 0; c < 6; c++)
            {
                var (x, y) = (c % 3 * cellW, c / 3 * cellH);
                canvas.DrawRoundRect(x + 2, y + 2, cellW - 4, cellH - 4, 5, 5, floor);
                canvas.DrawRoundRect(x + 2, y + 2, cellW - 4, cellH - 4, 5, 5, wall);
            }
        }
        for (var i = 0; i < items.Count; i++) DrawItem(canvas, items[i], i == damaged ? d : null);
        canvas.Restore();
    }

    static (float X, float Y) Cell(int c) => (c % 3 * 68f, c / 3 * 72f);

    static int CellOf(Item item) => item.Rule >= 100 ? item.Rule / 100 - 1 : item.Rule;

    static IEnumerable<Item> PlaceItems(SynthRandom rng, int ruleIndex, Rule rule, int cell, List<Item> existing)
    {
        var placed = new List<Item>(existing);
        var (x0, y0) = Cell(cell);
        var margin = rule.Size + 7;
        for (var n = 0; n < rule.Count; n++)
        {
            Item candidate = new(ruleIndex, 0, 0, 0);
            for (var attempt = 0; attempt < 30; attempt++)
            {
                candidate = new Item(ruleIndex, x0 + rng.Range(margin, 68 - margin), y0 + rng.Range(margin, 72 - margin), rng.Range(0, 360));
                if (placed.All(p => Distance(p, candidate) > rule.Size * 1.9f)) break;
            }
            placed.Add(candidate);
            yield return candidate;
        }
    }

    static float Distance(Item a, Item b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));

    static void DrawItem(SKCanvas canvas, Item item, SynthRandom? damage)
    {
        var rule = Rules[item.Rule % 100];
        canvas.Save();
        canvas.Translate(item.X, item.Y);
        canvas.RotateDegrees(item.Angle);
        using var fill = Shapes.Fill(Shapes.Hsv(rule.Hue, 0.8f, 0.85f));
        using var outline = Shapes.Stroke(Shapes.Hsv(rule.Hue, 0.9f, 0.45f), 1.4f);
        var s = rule.Size;
        using var path = new SKPath();
        switch (rule.Shape)
        {
            case Shape.Circle: path.AddCircle(0, 0, s); break;
            case Shape.Bar: path.AddRoundRect(new SKRect(-s * 1.6f, -s * 0.45f, s * 1.6f, s * 0.45f), s * 0.45f, s * 0.45f); break;
            case Shape.Square: path.AddRect(new SKRect(-s, -s, s, s)); break;
            case Shape.Triangle: path.MoveTo(0, -s); path.LineTo(s * 0.9f, s * 0.7f); path.LineTo(-s * 0.9f, s * 0.7f); path.Close(); break;
        }
        canvas.DrawPath(path, fill);
        canvas.DrawPath(path, outline);
        using (var shine = Shapes.Fill(new SKColor(255, 255, 255, 80))) canvas.DrawCircle(-s * 0.3f, -s * 0.3f, s * 0.3f, shine);
        if (damage != null)
        {
            // A bruise and a bite out of the item's rim.
            using var bite = Shapes.Blob(damage, s * 0.8f, 0, s * 0.55f, 0.3f);
            using var hole = Shapes.Fill(Shapes.Hsv(35, 0.4f, 0.25f));
            canvas.DrawPath(bite, hole);
            using var bruise = Shapes.Fill(Shapes.Hsv(25, 0.7f, 0.3f, 200));
            canvas.DrawCircle(-s * 0.2f, s * 0.3f, s * 0.35f, bruise);
        }
        canvas.Restore();
    }
}

/// <summary>
/// MVTec LOCO-like splicing connectors: two connectors with the same number of poles (2, 3 or 5, varying),
/// joined by a cable whose colour is fixed by the pole count and whose length is fixed (its sag follows
/// the connectors' spacing). Logical anomalies break one rule; a cut in the insulation is structural.
/// </summary>
public sealed class ConnectorCategory : CanvasCategory
{
    public override string Family => "logical";
    public override string Name => "connector";
    public override IReadOnlyList<AnomalyKind> AnomalyKinds { get; } =
    [
        AnomalyKind.Logical("wrong_cable_color"), AnomalyKind.Logical("mismatched_connectors"), AnomalyKind.Logical("wrong_length"),
        AnomalyKind.Logical("missing_cable"), AnomalyKind.Structural("cut_insulation"),
    ];

    static readonly int[] Poles = [2, 3, 5];
    static readonly float[] CableHues = [55, 215, 0];
    const float CableLength = 175;

    protected override SKColor Background(SceneContext context) => Shapes.Gray(context.Layout.Jitter(0.86f, 0.04f));

    protected override void Draw(SKCanvas canvas, SceneContext context, AnomalyKind? anomaly)
    {
        var rng = context.Layout;
        rng.NextDouble(); // the background draw
        Shapes.Noise(canvas, rng, new SKRect(0, 0, 256, 256), 0.05f, 50, SKBlendMode.Overlay);
        var variant = rng.Int(0, Poles.Length);
        var left = new SKPoint(rng.Jitter(48, 8), rng.Jitter(96, 10));
        var right = new SKPoint(rng.Jitter(208, 8), rng.Jitter(96, 10));
        var tiltL = rng.Jitter(0, 6);
        var tiltR = rng.Jitter(0, 6);
        var cableShade = rng.Jitter(0.75f, 0.06f);
        var sagSide = rng.Jitter(0, 0.15f);

        var d = context.Defect;
        var (leftPoles, rightPoles, cableVariant, length, cable) = (Poles[variant], Poles[variant], variant, CableLength, true);
        switch (anomaly?.Name)
        {
            case "wrong_cable_color": cableVariant = (variant + d.Int(1, Poles.Length)) % Poles.Length; break;
            case "mismatched_connectors": rightPoles = Poles[(variant + d.Int(1, Poles.Length)) % Poles.Length]; break;
            case "wrong_length": length = CableLength * d.Range(1.45f, 1.6f); break;
            case "missing_cable": cable = false; break;
        }

        var start = new SKPoint(left.X + 20, left.Y);
        var end = new SKPoint(right.X - 20, right.Y);
        var span = MathF.Sqrt((end.X - start.X) * (end.X - start.X) + (end.Y - start.Y) * (end.Y - start.Y));
        // Parabolic arc length ≈ d + 8 s² / (3 d): the sag s that gives the cable its length.
        var sag = MathF.Sqrt(MathF.Max(0, 3 * span * (length - span) / 8));
        using var path = new SKPath();
        path.MoveTo(start);
        var mid = new SKPoint((start.X + end.X) / 2 + sagSide * span, (start.Y + end.Y) / 2 + 2 * sag);
        path.QuadTo(mid, end);
        if (cable)
        {
            using var jacket = Shapes.Stroke(Shapes.Hsv(CableHues[cableVariant], 0.85f, cableShade), 7);
            using var shadow = Shapes.Stroke(new SKColor(0, 0, 0, 50), 7);
            canvas.Save(); canvas.Translate(2, 3); canvas.DrawPath(path, shadow); canvas.Restore();
            canvas.DrawPath(path, jacket);
            if (anomaly?.Name == "cut_insulation")
            {
                using var measure = new SKPathMeasure(path);
                measure.GetPosition(measure.Length * d.Range(0.25f, 0.75f), out var cut);
                using var copper = Shapes.Fill(Shapes.Hsv(28, 0.75f, 0.8f));
                canvas.DrawRect(cut.X - 4, cut.Y - 3, 8, 6, copper);
                using var frayed = Shapes.Stroke(Shapes.Gray(0.15f), 1.2f);
                canvas.DrawRect(cut.X - 4, cut.Y - 3, 8, 6, frayed);
            }
        }
        DrawConnector(canvas, left, tiltL, leftPoles, mirrored: false);
        DrawConnector(canvas, right, tiltR, rightPoles, mirrored: true);
    }

    static void DrawConnector(SKCanvas canvas, SKPoint at, float tilt, int poles, bool mirrored)
    {
        canvas.Save();
        canvas.Translate(at.X, at.Y);
        canvas.RotateDegrees(tilt);
        if (mirrored) canvas.Scale(-1, 1);
        var height = 12 + poles * 10f;
        using (var housing = Shapes.Fill(Shapes.Gray(0.97f))) canvas.DrawRoundRect(-20, -height / 2, 40, height, 5, 5, housing);
        using (var edge = Shapes.Stroke(Shapes.Gray(0.55f), 1.5f)) canvas.DrawRoundRect(-20, -height / 2, 40, height, 5, 5, edge);
        using (var lever = Shapes.Fill(Shapes.Hsv(28, 0.9f, 0.95f)))
        {
            for (var p = 0; p < poles; p++) canvas.DrawRoundRect(-16, -height / 2 + 6 + p * 10, 22, 7, 2, 2, lever);
        }
        canvas.Restore();
    }
}
