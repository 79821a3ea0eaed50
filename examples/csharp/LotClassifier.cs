// wdc_lot_classifier: a C# hook of the kind an MES calls when a lot leaves wafer sort. It loads the
// classifier once, classifies every wafer map of the lot in one batch, prints a verdict per wafer
// and writes, for each defective wafer, the class activation map (CAM) of its most likely defect
// pattern as a PGM image (where on the wafer the network saw the pattern).
//
//   wdc_lot_classifier [MODEL] [--lot ID] [--maps FILE HEIGHT WIDTH] [--out DIR] [--threshold T]
//       MODEL        a model file (wdc train, or Model.Save); default: the trained MixedWM38
//                    model built into the library (Model.LoadBuiltin)
//       --lot        the lot's name, used in the output and the CAM file names (default DEMO)
//       --maps       the lot's maps: a raw file of HEIGHT * WIDTH bytes per map, row-major,
//                    0 off-wafer, 1 pass, 2 fail (default: 8 maps generated in place)
//       --out        the directory for the CAM images (default: cams)
//       --threshold  flag a label at probability >= T (default: the model's own per-label
//                    decision thresholds)
//   wdc_lot_classifier --write-lot FILE    writes the generated demo lot as a raw file (52 x 52)
//
// Exit status: 0 done, 1 a wdc call failed, 2 usage, 3 the maps file cannot be used.
// Build: mcs -r:Wdc.dll -out:wdc_lot_classifier.exe LotClassifier.cs (CMake does it, see
// bindings/csharp/CMakeLists.txt); run with Wdc.dll and libwdc_csharp.so next to it or on
// LD_LIBRARY_PATH.
using System;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using Wdc;

internal static class LotClassifier
{
    private const int DemoSize = 52;
    private const int DemoWafers = 8;

    private static int Main(string[] args)
    {
        string modelPath = null, lot = "DEMO", mapsPath = null, outDir = "cams", writeLot = null;
        int height = 0, width = 0;
        float? threshold = null;
        try
        {
            for (int i = 0; i < args.Length; ++i)
            {
                switch (args[i])
                {
                    case "--lot": lot = args[++i]; break;
                    case "--out": outDir = args[++i]; break;
                    case "--write-lot": writeLot = args[++i]; break;
                    case "--threshold":
                        threshold = float.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    case "--maps":
                        mapsPath = args[++i];
                        height = int.Parse(args[++i], CultureInfo.InvariantCulture);
                        width = int.Parse(args[++i], CultureInfo.InvariantCulture);
                        break;
                    default:
                        if (args[i].StartsWith("--") || modelPath != null)
                            return Usage();
                        modelPath = args[i];
                        break;
                }
            }
        }
        catch (Exception e)
        {
            if (e is IndexOutOfRangeException || e is FormatException || e is OverflowException)
                return Usage();
            throw;
        }

        if (writeLot != null)
        {
            File.WriteAllBytes(writeLot, DemoLot());
            Console.WriteLine("wrote {0} demo maps ({1} x {1}) to {2}", DemoWafers, DemoSize, writeLot);
            return 0;
        }

        // The lot: count maps of height x width bytes, one after another.
        byte[] maps;
        if (mapsPath == null)
        {
            maps = DemoLot();
            height = width = DemoSize;
        }
        else
        {
            try
            {
                maps = File.ReadAllBytes(mapsPath);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine("wdc_lot_classifier: {0}", e.Message);
                return 3;
            }
            if (height <= 0 || width <= 0 || maps.Length == 0 || maps.Length % (height * width) != 0)
            {
                Console.Error.WriteLine("wdc_lot_classifier: {0} holds {1} bytes, not a whole number" +
                                        " of {2} x {3} maps", mapsPath, maps.Length, height, width);
                return 3;
            }
        }
        int count = maps.Length / (height * width);

        try
        {
            // Load once; a long-running MES service would keep the model for every lot.
            using (Model model = modelPath == null ? Model.LoadBuiltin() : Model.Load(modelPath))
            {
                string[] labels = model.Labels;
                float[] thresholds = Thresholds(model, threshold);
                Console.WriteLine("model {0} (wdc {1}), labels: {2}", modelPath ?? "built-in",
                                  Library.Version, string.Join(", ", labels));

                float[] probabilities = model.Predict(maps, count, height, width);
                Directory.CreateDirectory(outDir);
                int defective = 0;
                for (int w = 0; w < count; ++w)
                {
                    var found = new StringBuilder();
                    int top = -1;
                    for (int j = 0; j < labels.Length; ++j)
                    {
                        float p = probabilities[w * labels.Length + j];
                        if (p < thresholds[j])
                            continue;
                        found.AppendFormat(CultureInfo.InvariantCulture, "{0}{1} {2:F2}",
                                           found.Length > 0 ? ", " : "", labels[j], p);
                        if (top < 0 || p > probabilities[w * labels.Length + top])
                            top = j;
                    }
                    if (top < 0)
                    {
                        Console.WriteLine("lot {0} wafer {1,2}: PASS", lot, w + 1);
                        continue;
                    }
                    ++defective;
                    // The CAM of the most likely pattern, at the map's own size.
                    var map = new byte[height * width];
                    Buffer.BlockCopy(maps, w * height * width, map, 0, map.Length);
                    float[] cam = model.Cam(map, height, width, top);
                    string camPath = Path.Combine(outDir, string.Format(CultureInfo.InvariantCulture,
                        "{0}-{1:D2}-{2}.pgm", SafeName(lot), w + 1, SafeName(labels[top])));
                    WritePgm(camPath, cam, height, width);
                    Console.WriteLine("lot {0} wafer {1,2}: DEFECT {2} (cam: {3})", lot, w + 1,
                                      found, camPath);
                }
                Console.WriteLine("lot {0}: {1} wafers, {2} defective", lot, count, defective);
            }
            return 0;
        }
        catch (WdcException e)
        {
            // e.Message is "WDC_E_...: <the library's message>"; e.Status is the code.
            Console.Error.WriteLine("wdc_lot_classifier: {0}", e.Message);
            return 1;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine(
            "usage: wdc_lot_classifier [MODEL] [--lot ID] [--maps FILE HEIGHT WIDTH] [--out DIR]" +
            " [--threshold T]\n       wdc_lot_classifier --write-lot FILE");
        return 2;
    }

    /// <summary>One threshold per label: the given one, else the model's own decision thresholds
    /// (the "thresholds" array of its info JSON), else 0.5.</summary>
    private static float[] Thresholds(Model model, float? given)
    {
        int n = model.Labels.Length;
        var result = new float[n];
        for (int j = 0; j < n; ++j)
            result[j] = given ?? 0.5f;
        if (given.HasValue)
            return result;
        Match m = Regex.Match(model.Info, "\"thresholds\"\\s*:\\s*\\[([^\\]]*)\\]");
        if (m.Success)
        {
            string[] values = m.Groups[1].Value.Split(',');
            for (int j = 0; j < n && j < values.Length; ++j)
                result[j] = float.Parse(values[j].Trim(), CultureInfo.InvariantCulture);
        }
        return result;
    }

    /// <summary>Writes a CAM as a plain (ASCII) PGM image, 0 = black ... 255 = strongest.</summary>
    private static void WritePgm(string path, float[] cam, int height, int width)
    {
        var text = new StringBuilder();
        text.AppendFormat(CultureInfo.InvariantCulture, "P2\n{0} {1}\n255\n", width, height);
        for (int r = 0; r < height; ++r)
        {
            for (int c = 0; c < width; ++c)
            {
                int v = (int)Math.Round(Math.Max(0f, Math.Min(1f, cam[r * width + c])) * 255);
                text.Append(v.ToString(CultureInfo.InvariantCulture));
                text.Append(c + 1 < width ? ' ' : '\n');
            }
        }
        File.WriteAllText(path, text.ToString(), Encoding.ASCII);
    }

    private static string SafeName(string name)
    {
        var safe = new StringBuilder(name.Length);
        foreach (char ch in name)
            safe.Append(char.IsLetterOrDigit(ch) || ch == '-' ? ch : '_');
        return safe.ToString();
    }

    /// <summary>A demo lot: 52 x 52 wafers, one clean and one with each of several patterns.</summary>
    private static byte[] DemoLot()
    {
        var maps = new byte[DemoWafers * DemoSize * DemoSize];
        double c = (DemoSize - 1) / 2.0, radius = DemoSize / 2.0;
        uint state = 2024;
        for (int w = 0; w < DemoWafers; ++w)
        {
            for (int r = 0; r < DemoSize; ++r)
            {
                for (int col = 0; col < DemoSize; ++col)
                {
                    double dr = (r - c) / radius, dc = (col - c) / radius, d2 = dr * dr + dc * dc;
                    state = state * 1664525u + 1013904223u;
                    byte value;
                    if (d2 > 1.0)
                    {
                        value = 0;
                    }
                    else
                    {
                        bool fail = (state >> 24) < 5;  // ~2% background failures
                        switch (w)
                        {
                            case 1: fail |= d2 < 0.06; break;                                // center
                            case 2: fail |= d2 > 0.15 && d2 < 0.35; break;                   // donut
                            case 3: fail |= d2 > 0.75 && dr > 0.3 && dc > 0.3; break;        // edge-loc
                            case 4: fail |= d2 > 0.8; break;                                 // edge-ring
                            case 5: fail |= Math.Abs(r - col - 4) <= 1 && d2 < 0.5; break;   // scratch
                            case 6: fail |= (state >> 24) < 60; break;                       // random
                            case 7: fail |= (state >> 24) < 220; break;                      // near-full
                        }
                        value = fail ? (byte)2 : (byte)1;
                    }
                    maps[(w * DemoSize + r) * DemoSize + col] = value;
                }
            }
        }
        return maps;
    }
}
