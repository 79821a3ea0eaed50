// NUnit 2.6 tests of Wdc.Dataset and of the Model members that read one (ctest -L csharp, with
// ModelTests.cs and LibraryTests.cs; same environment). Also the JSON reader the tests share.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class DatasetTests : ModelFixture
    {
        public DatasetTests() : base("nunit-dataset")
        {
        }

        // Label rows of known MixedWM38 pattern types (the label order is Center, Donut,
        // Edge_Loc, Edge_Ring, Loc, Near_Full, Scratch, Random), and one of none.
        private static readonly byte[][] Rows =
        {
            new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 },  // C1 Normal
            new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 },  // C2 Center
            new byte[] { 1, 0, 0, 0, 1, 0, 0, 0 },  // C12 C+L
            new byte[] { 1, 1, 0, 0, 0, 0, 0, 0 },  // Center and Donut: no type
        };


        /// <summary>Map n gets the label row Rows[n % Rows.Length].</summary>
        internal static byte[,] MakeLabels(int count)
        {
            var labels = new byte[count, 8];
            for (int n = 0; n < count; ++n)
                for (int j = 0; j < 8; ++j)
                    labels[n, j] = Rows[n % Rows.Length][j];
            return labels;
        }

        private static string Key(byte[,,] maps, byte[,] labels, int n)
        {
            int size = maps.GetLength(1) * maps.GetLength(2);
            var bytes = new byte[size + 8];
            Buffer.BlockCopy(maps, n * size, bytes, 0, size);
            Buffer.BlockCopy(labels, n * 8, bytes, size, 8);
            return Convert.ToBase64String(bytes);
        }

        // ---- create, maps, labels, info -----------------------------------------------------------

        [Test]
        public void CreateThenMapsAndLabelsGiveTheSameBytes()
        {
            byte[,,] maps = ModelTests.MakeMaps(6, 30, 20);
            maps[0, 15, 10] = 7;  // stored as 2
            byte[,] labels = MakeLabels(6);
            using (Dataset data = Dataset.Create(maps, labels))
            {
                maps[0, 15, 10] = 2;
                Assert.That(data.Count, Is.EqualTo(6));
                Assert.That(data.NumLabels, Is.EqualTo(8));
                Assert.That(data.LabelNames, Is.EqualTo(_model.Labels));
                int height, width;
                data.MapSize(5, out height, out width);
                Assert.That(new[] { height, width }, Is.EqualTo(new[] { 30, 20 }));
                Assert.That(data.Maps(0, 6), Is.EqualTo(maps));
                Assert.That(data.Labels(0, 6), Is.EqualTo(labels));
                // A range: maps 2, 3, 4.
                byte[,,] part = data.Maps(2, 3);
                Assert.That(part.GetLength(0), Is.EqualTo(3));
                for (int n = 0; n < 3; ++n)
                    Assert.That(Key(part, data.Labels(2, 3), n), Is.EqualTo(Key(maps, labels, n + 2)));
                // Empty ranges, at any position up to the end.
                Assert.That(data.Maps(6, 0).Length, Is.EqualTo(0));
                Assert.That(data.Maps(0, 0).Length, Is.EqualTo(0));
                Assert.That(data.Labels(6, 0), Is.EqualTo(new byte[0, 8]));
                // The caller's arrays were copied.
                maps[1, 0, 0] = 2;
                Assert.That(data.Maps(1, 1)[0, 0, 0], Is.EqualTo(0));
            }
        }

        [Test]
        public void InfoCountsThePatternTypes()
        {
            using (Dataset data = Dataset.Create(ModelTests.MakeMaps(10, 52, 52), MakeLabels(10)))
            {
                Dictionary<string, object> info = Json.Object(data.Info);
                Assert.That(info["count"], Is.EqualTo(10.0));
                Assert.That(info["height"], Is.EqualTo(52.0));
                Assert.That(info["width"], Is.EqualTo(52.0));
                Assert.That(info["labels"], Is.EqualTo(data.LabelNames));
                // Rows 0..3 repeat: maps 0, 4, 8 are C1; 1, 5, 9 C2; 2, 6 C12; 3, 7 untyped.
                var types = (Dictionary<string, object>)info["types"];
                Assert.That(types.Count, Is.EqualTo(3));
                Assert.That(types["C1"], Is.EqualTo(3.0));
                Assert.That(types["C2"], Is.EqualTo(3.0));
                Assert.That(types["C12"], Is.EqualTo(2.0));
                Assert.That(info["untyped"], Is.EqualTo(2.0));
            }
        }

        [Test]
        public void CreateWithoutLabelsStoresZeros()
        {
            using (Dataset data = Dataset.Create(ModelTests.MakeMaps(3, 52, 52)))
            {
                Assert.That(data.Labels(0, 3), Is.EqualTo(new byte[3, 8]));
                Assert.That(Json.Canonical(Json.Object(data.Info)["types"]), Is.EqualTo("{\"C1\":3}"));
            }
        }

        [Test]
        public void CreateErrors()
        {
            byte[,,] maps = ModelTests.MakeMaps(2, 52, 52);
            Assert.Throws<ArgumentNullException>(() => Dataset.Create(null));
            // Labels of another shape never reach the library.
            Assert.Throws<ArgumentException>(() => Dataset.Create(maps, new byte[2, 7]));
            Assert.Throws<ArgumentException>(() => Dataset.Create(maps, new byte[1, 8]));
            var labels = new byte[2, 8];
            labels[1, 7] = 2;
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Dataset.Create(maps, labels));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Dataset.Create(new byte[0, 52, 52]));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Dataset.Create(new byte[1, 0, 52]));
        }

        [Test]
        public void MapsAndLabelsOutOfRange()
        {
            using (Dataset data = Dataset.Create(ModelTests.MakeMaps(4, 52, 52)))
            {
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Maps(3, 2));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Maps(-1, 1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Maps(0, -1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Maps(0, long.MaxValue));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Maps(5, 0));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Labels(-1, 0));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Labels(4, 1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Labels(0, long.MaxValue));
                int height, width;
                ModelTests.AssertWdcError(Status.InvalidArgument,
                                          () => data.MapSize(4, out height, out width));
                ModelTests.AssertWdcError(Status.InvalidArgument,
                                          () => data.MapSize(-1, out height, out width));
            }
        }

        // ---- save / load --------------------------------------------------------------------------

        [Test]
        public void SaveLoadRoundTrip()
        {
            byte[,,] maps = ModelTests.MakeMaps(5, 41, 37);
            byte[,] labels = MakeLabels(5);
            string compressed = TempPath("round trip \u00e9\u4e2d.npz");
            string plain = TempPath("plain.npz");
            using (Dataset data = Dataset.Create(maps, labels))
            {
                data.Save(compressed);
                data.Save(plain, "{\"compressed\": false}");
                foreach (string path in new[] { compressed, plain })
                    using (Dataset loaded = Dataset.Load(path))
                    {
                        Assert.That(loaded.Maps(0, 5), Is.EqualTo(maps), path);
                        Assert.That(loaded.Labels(0, 5), Is.EqualTo(labels), path);
                        Assert.That(loaded.Info, Is.EqualTo(data.Info), path);
                    }
            }
            // Uncompressed: at least the int32 maps and labels.
            Assert.That(new FileInfo(plain).Length, Is.GreaterThanOrEqualTo(5 * 41 * 37 * 4 + 5 * 8 * 4));
            Assert.That(new FileInfo(compressed).Length, Is.LessThan(new FileInfo(plain).Length));
        }

        [Test]
        public void LoadTheFixture()
        {
            using (Dataset data = Dataset.Load(ModelTests.Fixture("npz/wafer_small.npz"),
                                               "{\"max_file_bytes\": 1000000}"))
            {
                Assert.That(data.Count, Is.GreaterThan(0));
                byte[,,] maps = data.Maps(0, data.Count);
                foreach (byte die in maps)
                    Assert.That(die, Is.LessThanOrEqualTo(2));
                foreach (byte label in data.Labels(0, data.Count))
                    Assert.That(label, Is.LessThanOrEqualTo(1));
            }
        }

        [Test]
        public void LoadErrors()
        {
            ModelTests.AssertWdcError(Status.IO, () => Dataset.Load(TempPath("missing.npz")));
            ModelTests.AssertWdcError(Status.Format, () => Dataset.Load(ModelTests.Fixture("npz/not_a_zip.npz")));
            ModelTests.AssertWdcError(Status.Format,
                                      () => Dataset.Load(ModelTests.Fixture("npz/bad_missing_arr1.npz")));
            ModelTests.AssertWdcError(Status.Format,
                                      () => Dataset.Load(ModelTests.Fixture("npz/bad_label_value.npz")));
            string good = ModelTests.Fixture("npz/wafer_small.npz");
            ModelTests.AssertWdcError(Status.Format, () => Dataset.Load(good, "{\"max_file_bytes\": 16}"));
            ModelTests.AssertWdcError(Status.Config, () => Dataset.Load(good, "{\"no_such_option\": 1}"));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Dataset.Load(""));
            Assert.Throws<ArgumentNullException>(() => Dataset.Load(null));
        }

        [Test]
        public void SaveErrors()
        {
            using (Dataset data = Dataset.Create(ModelTests.MakeMaps(1, 52, 52)))
            {
                ModelTests.AssertWdcError(Status.IO, () => data.Save(TempPath("no-such-dir/data.npz")));
                ModelTests.AssertWdcError(Status.Config, () => data.Save(TempPath("x.npz"), "{\"bogus\": 1}"));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Save(""));
                Assert.Throws<ArgumentNullException>(() => data.Save(null));
            }
        }

        // ---- synthesize ---------------------------------------------------------------------------

        [Test]
        public void Synthesize()
        {
            using (Dataset a = Dataset.Synthesize(60, 7))
            using (Dataset b = Dataset.Synthesize(60, 7))
            using (Dataset c = Dataset.Synthesize(60, 8))
            {
                Assert.That(a.Count, Is.EqualTo(60));
                int height, width;
                a.MapSize(59, out height, out width);
                Assert.That(new[] { height, width }, Is.EqualTo(new[] { 52, 52 }));
                Assert.That(b.Maps(0, 60), Is.EqualTo(a.Maps(0, 60)));
                Assert.That(b.Labels(0, 60), Is.EqualTo(a.Labels(0, 60)));
                Assert.That(c.Maps(0, 60), Is.Not.EqualTo(a.Maps(0, 60)));
                // Every generated map is of one of the 38 types.
                Dictionary<string, object> info = Json.Object(a.Info);
                Assert.That(info["untyped"], Is.EqualTo(0.0));
                double sum = 0;
                foreach (KeyValuePair<string, object> type in (Dictionary<string, object>)info["types"])
                {
                    StringAssert.IsMatch(@"^C([1-9]|[12][0-9]|3[0-8])$", type.Key);
                    sum += (double)type.Value;
                }
                Assert.That(sum, Is.EqualTo(60.0));
            }
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Dataset.Synthesize(0, 1));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Dataset.Synthesize(-1, 1));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Dataset.Synthesize(10000001, 1));
        }

        // ---- split --------------------------------------------------------------------------------

        [Test]
        public void SplitCoversEveryMap()
        {
            using (Dataset whole = Dataset.Synthesize(300, 3))
            using (DatasetSplit split = whole.Split("{\"val\": 0.2, \"test\": 0.1, \"seed\": 5}"))
            {
                Assert.That(split.Train.Count + split.Validation.Count + split.Test.Count,
                            Is.EqualTo(whole.Count));
                // Every map of the whole is in exactly one part, and each part keeps its order.
                byte[,,] maps = whole.Maps(0, 300);
                byte[,] labels = whole.Labels(0, 300);
                var index = new Dictionary<string, Queue<int>>();
                for (int n = 0; n < 300; ++n)
                {
                    string key = Key(maps, labels, n);
                    if (!index.ContainsKey(key))
                        index[key] = new Queue<int>();
                    index[key].Enqueue(n);
                }
                foreach (Dataset part in new[] { split.Train, split.Validation, split.Test })
                {
                    byte[,,] partMaps = part.Maps(0, part.Count);
                    byte[,] partLabels = part.Labels(0, part.Count);
                    int previous = -1;
                    for (int n = 0; n < part.Count; ++n)
                    {
                        Queue<int> where;
                        Assert.That(index.TryGetValue(Key(partMaps, partLabels, n), out where) &&
                                    where.Count > 0, Is.True, "a map that is not in the whole");
                        int position = where.Dequeue();
                        Assert.That(position, Is.GreaterThan(previous), "order");
                        previous = position;
                    }
                }
                Assert.That(index.Values.All(q => q.Count == 0), Is.True, "a map in no part");
                // Stratified: per type, round(n * share) maps (either rounding of a half).
                var types = (Dictionary<string, object>)Json.Object(whole.Info)["types"];
                double low = 0, high = 0;
                foreach (object n in types.Values)
                {
                    low += Math.Floor((double)n * 0.2);
                    high += Math.Ceiling((double)n * 0.2);
                }
                Assert.That(split.Validation.Count, Is.InRange((long)low, (long)high));
                var valTypes = (Dictionary<string, object>)Json.Object(split.Validation.Info)["types"];
                foreach (KeyValuePair<string, object> type in valTypes)
                    Assert.That((double)type.Value,
                                Is.EqualTo((double)types[type.Key] * 0.2).Within(0.5), type.Key);
            }
        }

        [Test]
        public void SplitIsFixedBySeed()
        {
            using (Dataset whole = Dataset.Synthesize(100, 11))
            using (DatasetSplit a = whole.Split("{\"seed\": 1}"))
            using (DatasetSplit b = whole.Split("{\"seed\": 1}"))
            using (DatasetSplit c = whole.Split("{\"seed\": 2}"))
            using (DatasetSplit defaults = whole.Split())
            {
                Assert.That(b.Validation.Maps(0, b.Validation.Count),
                            Is.EqualTo(a.Validation.Maps(0, a.Validation.Count)));
                Assert.That(b.Test.Maps(0, b.Test.Count), Is.EqualTo(a.Test.Maps(0, a.Test.Count)));
                Assert.That(c.Validation.Maps(0, c.Validation.Count),
                            Is.Not.EqualTo(a.Validation.Maps(0, a.Validation.Count)));
                // The defaults are val 0.1, test 0.1, seed 0.
                using (DatasetSplit explicitDefaults = whole.Split("{\"val\": 0.1, \"test\": 0.1, \"seed\": 0}"))
                    Assert.That(defaults.Test.Maps(0, defaults.Test.Count),
                                Is.EqualTo(explicitDefaults.Test.Maps(0, explicitDefaults.Test.Count)));
                Assert.That(defaults.Train.Count + defaults.Validation.Count + defaults.Test.Count,
                            Is.EqualTo(100));
            }
        }

        [Test]
        public void SplitWithoutValidationOrTestKeepsEverythingForTraining()
        {
            using (Dataset whole = Dataset.Synthesize(30, 4))
            using (DatasetSplit split = whole.Split("{\"val\": 0, \"test\": 0}"))
            {
                Assert.That(split.Train.Maps(0, 30), Is.EqualTo(whole.Maps(0, 30)));
                Assert.That(split.Train.Labels(0, 30), Is.EqualTo(whole.Labels(0, 30)));
                Assert.That(split.Validation.Count, Is.EqualTo(0));
                Assert.That(split.Test.Count, Is.EqualTo(0));
                Assert.That(split.Test.Maps(0, 0).Length, Is.EqualTo(0));
                Assert.That(Json.Object(split.Test.Info)["count"], Is.EqualTo(0.0));
            }
        }

        [Test]
        public void SplitErrors()
        {
            using (Dataset whole = Dataset.Synthesize(10, 1))
            {
                ModelTests.AssertWdcError(Status.Config, () => whole.Split("{\"val\": 0.6, \"test\": 0.6}"));
                ModelTests.AssertWdcError(Status.Config, () => whole.Split("{\"val\": -0.1}"));
                ModelTests.AssertWdcError(Status.Config, () => whole.Split("{\"test\": 1.5}"));
                ModelTests.AssertWdcError(Status.Config, () => whole.Split("{\"bogus\": 1}"));
                ModelTests.AssertWdcError(Status.Config, () => whole.Split("{"));
            }
        }

        // ---- the model on a data set --------------------------------------------------------------

        [Test]
        public void EvaluateDatasetErrors()
        {
            Assert.Throws<ArgumentNullException>(() => _model.Evaluate((Dataset)null));
            using (Dataset whole = Dataset.Synthesize(10, 1))
            using (DatasetSplit split = whole.Split("{\"val\": 0, \"test\": 0}"))
            using (Model other = Model.Create(ModelTests.TwoLabelConfig))
            {
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Evaluate(split.Test));
                // The data's labels (MixedWM38's) are not the model's.
                ModelTests.AssertWdcError(Status.InvalidArgument, () => other.Evaluate(whole));
            }
        }

        [Test]
        public void ClassifyDatasetAgreesWithPredictAndTheTrueLabels()
        {
            using (Dataset data = Dataset.Synthesize(12, 1))
            {
                byte[,,] maps = data.Maps(3, 5);
                byte[,] labels = data.Labels(3, 5);
                List<object> result = ModelTests.AssertClassification(
                    _model, _model.Classify(data, 3, 5), _model.Predict(maps), 3);
                string[] names = data.LabelNames;
                for (int i = 0; i < 5; ++i)
                {
                    var map = (Dictionary<string, object>)result[i];
                    var truth = new List<object>();
                    for (int j = 0; j < 8; ++j)
                        if (labels[i, j] == 1)
                            truth.Add(names[j]);
                    Assert.That(map["true_labels"], Is.EqualTo(truth), "map " + i);
                    Assert.That(map["correct"], Is.EqualTo(Json.Canonical(map["labels"]) == Json.Canonical(truth)));
                    var trueType = (Dictionary<string, object>)map["true_type"];
                    StringAssert.IsMatch(@"^C[0-9]+$", (string)trueType["id"]);
                }
                // The same maps in an array classify the same, but for "index" and the truth.
                var plain = (List<object>)Json.Parse(_model.Classify(maps));
                for (int i = 0; i < 5; ++i)
                    Assert.That(((Dictionary<string, object>)plain[i])["probabilities"],
                                Is.EqualTo(((Dictionary<string, object>)result[i])["probabilities"]));
            }
        }

        [Test]
        public void ClassifyDatasetErrors()
        {
            Assert.Throws<ArgumentNullException>(() => _model.Classify(null, 0, 1));
            using (Dataset data = Dataset.Synthesize(12, 1))
            {
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Classify(data, 10, 5));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Classify(data, -1, 1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Classify(data, 0, -1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => _model.Classify(data, 13, 0));
                Assert.That(_model.Classify(data, 12, 0), Is.EqualTo("[]"));
            }
        }

        // ---- dispose and threads ------------------------------------------------------------------

        [Test]
        public void DisposeTwiceThenUseThrowsObjectDisposed()
        {
            Dataset data = Dataset.Synthesize(5, 1);
            data.Dispose();
            data.Dispose();
            int height, width;
            Assert.Throws<ObjectDisposedException>(() => { var c = data.Count; });
            Assert.Throws<ObjectDisposedException>(() => { var n = data.NumLabels; });
            Assert.Throws<ObjectDisposedException>(() => { var l = data.LabelNames; });
            Assert.Throws<ObjectDisposedException>(() => { var i = data.Info; });
            Assert.Throws<ObjectDisposedException>(() => data.MapSize(0, out height, out width));
            Assert.Throws<ObjectDisposedException>(() => data.Maps(0, 1));
            Assert.Throws<ObjectDisposedException>(() => data.Labels(0, 1));
            Assert.Throws<ObjectDisposedException>(() => data.Save(TempPath("disposed.npz")));
            Assert.Throws<ObjectDisposedException>(() => data.Split());
            Assert.Throws<ObjectDisposedException>(() => _model.Evaluate(data));
            Assert.Throws<ObjectDisposedException>(() => _model.Classify(data, 0, 1));
            Assert.Throws<ObjectDisposedException>(() => _model.Report(data, TempPath("r")));

            using (Dataset whole = Dataset.Synthesize(10, 1))
            {
                DatasetSplit split = whole.Split();
                split.Dispose();
                split.Dispose();
                Assert.Throws<ObjectDisposedException>(() => { var c = split.Train.Count; });
                Assert.That(whole.Count, Is.EqualTo(10));  // the parts are independent of it
            }
            using (Model model = Model.Create(ModelTests.TinyConfig))
            using (Dataset whole = Dataset.Synthesize(3, 1))
            {
                model.Dispose();
                Assert.Throws<ObjectDisposedException>(() => model.Evaluate(whole));
                Assert.Throws<ObjectDisposedException>(() => model.Classify(whole, 0, 1));
                Assert.Throws<ObjectDisposedException>(() => model.Report(whole, TempPath("r")));
            }
        }

        [Test]
        public void UndisposedDatasetsAreFreedByTheFinalizer()
        {
            for (int i = 0; i < 20; ++i)
                Dataset.Synthesize(10, (ulong)i).Split();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        [Test]
        [Timeout(120000)]
        public void OneDatasetFromManyThreadsMatchesSerialResults()
        {
            using (Dataset data = Dataset.Synthesize(16, 9))
            {
                byte[,,] maps = data.Maps(0, 16);
                string classified = _model.Classify(data, 4, 8);
                var errors = new List<Exception>();
                var threads = new Thread[8];
                for (int t = 0; t < threads.Length; ++t)
                {
                    threads[t] = new Thread(() =>
                    {
                        try
                        {
                            for (int r = 0; r < 3; ++r)
                            {
                                Assert.That(data.Maps(0, 16), Is.EqualTo(maps));
                                Assert.That(_model.Classify(data, 4, 8), Is.EqualTo(classified));
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors)
                                errors.Add(e);
                        }
                    });
                    threads[t].Start();
                }
                foreach (Thread thread in threads)
                    thread.Join();
                Assert.That(errors, Is.Empty, errors.Count > 0 ? errors[0].ToString() : "");
            }
        }
    }

    /// <summary>A minimal JSON reader for the tests (the binding returns JSON as text): objects
    /// become Dictionary&lt;string, object&gt;, arrays List&lt;object&gt;, numbers double, and
    /// true, false, null bool and null.</summary>
    internal static class Json
    {
        public static object Parse(string text)
        {
            int at = 0;
            object value = Value(text, ref at);
            SkipSpace(text, ref at);
            if (at != text.Length)
                throw new FormatException("text after the JSON value at " + at);
            return value;
        }

        /// <summary>A JSON object's members.</summary>
        public static Dictionary<string, object> Object(string text)
        {
            return (Dictionary<string, object>)Parse(text);
        }

        /// <summary>The value as JSON with object keys sorted, to compare values.</summary>
        public static string Canonical(object value)
        {
            var objectValue = value as Dictionary<string, object>;
            if (objectValue != null)
                return "{" + string.Join(",", objectValue.OrderBy(p => p.Key, StringComparer.Ordinal)
                    .Select(p => Canonical(p.Key) + ":" + Canonical(p.Value))) + "}";
            var list = value as System.Collections.IList;
            if (list != null)
                return "[" + string.Join(",", list.Cast<object>().Select(Canonical)) + "]";
            if (value is string)
                return "\"" + ((string)value).Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
            if (value is double)
                return ((double)value).ToString("R", CultureInfo.InvariantCulture);
            if (value is bool)
                return (bool)value ? "true" : "false";
            return "null";
        }

        private static void SkipSpace(string text, ref int at)
        {
            while (at < text.Length && char.IsWhiteSpace(text[at]))
                ++at;
        }

        private static object Value(string text, ref int at)
        {
            SkipSpace(text, ref at);
            if (at >= text.Length)
                throw new FormatException("unexpected end of JSON");
            char c = text[at];
            if (c == '{')
            {
                var result = new Dictionary<string, object>();
                ++at;
                SkipSpace(text, ref at);
                if (text[at] == '}')
                {
                    ++at;
                    return result;
                }
                while (true)
                {
                    SkipSpace(text, ref at);
                    string key = String(text, ref at);
                    SkipSpace(text, ref at);
                    Expect(text, ref at, ':');
                    result[key] = Value(text, ref at);
                    SkipSpace(text, ref at);
                    if (text[at] == '}')
                    {
                        ++at;
                        return result;
                    }
                    Expect(text, ref at, ',');
                }
            }
            if (c == '[')
            {
                var result = new List<object>();
                ++at;
                SkipSpace(text, ref at);
                if (text[at] == ']')
                {
                    ++at;
                    return result;
                }
                while (true)
                {
                    result.Add(Value(text, ref at));
                    SkipSpace(text, ref at);
                    if (text[at] == ']')
                    {
                        ++at;
                        return result;
                    }
                    Expect(text, ref at, ',');
                }
            }
            if (c == '"')
                return String(text, ref at);
            foreach (var literal in new[] { Tuple.Create("true", (object)true),
                                            Tuple.Create("false", (object)false),
                                            Tuple.Create("null", (object)null) })
                if (string.CompareOrdinal(text, at, literal.Item1, 0, literal.Item1.Length) == 0)
                {
                    at += literal.Item1.Length;
                    return literal.Item2;
                }
            int start = at;
            while (at < text.Length && "+-0123456789.eE".IndexOf(text[at]) >= 0)
                ++at;
            if (at == start)
                throw new FormatException("unexpected '" + c + "' at " + at);
            return double.Parse(text.Substring(start, at - start), NumberStyles.Float,
                                CultureInfo.InvariantCulture);
        }

        private static void Expect(string text, ref int at, char c)
        {
            if (at >= text.Length || text[at] != c)
                throw new FormatException("expected '" + c + "' at " + at);
            ++at;
        }

        private static string String(string text, ref int at)
        {
            Expect(text, ref at, '"');
            var result = new StringBuilder();
            while (text[at] != '"')
            {
                char c = text[at++];
                if (c != '\\')
                {
                    result.Append(c);
                    continue;
                }
                char e = text[at++];
                switch (e)
                {
                    case 'b': result.Append('\b'); break;
                    case 'f': result.Append('\f'); break;
                    case 'n': result.Append('\n'); break;
                    case 'r': result.Append('\r'); break;
                    case 't': result.Append('\t'); break;
                    case 'u':
                        result.Append((char)int.Parse(text.Substring(at, 4), NumberStyles.HexNumber));
                        at += 4;
                        break;
                    default: result.Append(e); break;
                }
            }
            ++at;
            return result.ToString();
        }
    }
}
