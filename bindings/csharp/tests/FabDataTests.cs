// NUnit 2.6 tests of a fab's own data through the C# binding (ctest -L csharp, with the other
// *Tests.cs; same environment): data sets of any label names, single-label sets, maps of mixed
// sizes (Dataset.Create over a list of maps, CreateRagged, Map, Classes, the ragged npz layout),
// single-label models that take their data's class names, their evaluation report, and
// fine-tuning with the training option "init".
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class FabDataTests : ModelFixture
    {
        public FabDataTests() : base("nunit-fab")
        {
        }

        // A tiny network without "labels": it takes its training data's names and task.
        internal const string UnlabelledConfig =
            "{\"input\":{\"height\":16,\"width\":16,\"encoding\":\"onehot\"}," +
            "\"blocks\":[{\"channels\":8,\"kernel\":3,\"stride\":2}]}";
        // The same with another block: its weights do not fit the first.
        private const string OtherConfig =
            "{\"input\":{\"height\":16,\"width\":16,\"encoding\":\"onehot\"}," +
            "\"blocks\":[{\"channels\":12,\"kernel\":3,\"stride\":2}]}";
        private const string Training =
            "\"epochs\": 12, \"batch_size\": 8, \"seed\": 1, \"threads\": 1";

        private static readonly string[] ClassNames = { "Clean", "Full" };
        private static readonly int[][] Sizes = { new[] { 20, 24 }, new[] { 31, 31 }, new[] { 40, 26 } };

        /// <summary>A round wafer of height x width dies: off the wafer 0; on it, each die fails
        /// (2) with probability failShare, by a fixed pseudo-random sequence, else passes
        /// (1).</summary>
        internal static byte[,] Wafer(int height, int width, double failShare, int seed)
        {
            var map = new byte[height, width];
            uint state = (uint)seed * 2654435761u + 12345u;
            for (int r = 0; r < height; ++r)
                for (int c = 0; c < width; ++c)
                {
                    double dr = (r - (height - 1) / 2.0) / (height / 2.0);
                    double dc = (c - (width - 1) / 2.0) / (width / 2.0);
                    state = state * 1664525u + 1013904223u;
                    bool fail = (state >> 8) % 1000 < failShare * 1000;
                    map[r, c] = dr * dr + dc * dc > 1.0 ? (byte)0 : fail ? (byte)2 : (byte)1;
                }
            return map;
        }

        /// <summary>count maps: map i is of class i % 2 ("Clean": 2 % of the dies fail, "Full":
        /// 85 %) and of size Sizes[(i / 2) % 3], so every size has both classes.</summary>
        private static List<byte[,]> FabMaps(int count, out int[] classes)
        {
            var maps = new List<byte[,]>();
            classes = new int[count];
            for (int i = 0; i < count; ++i)
            {
                int[] size = Sizes[(i / 2) % Sizes.Length];
                classes[i] = i % 2;
                maps.Add(Wafer(size[0], size[1], classes[i] == 0 ? 0.02 : 0.85, i));
            }
            return maps;
        }

        private static void AssertSameMaps(Dataset data, IList<byte[,]> maps)
        {
            Assert.That(data.Count, Is.EqualTo(maps.Count));
            for (int i = 0; i < maps.Count; ++i)
            {
                int height, width;
                data.MapSize(i, out height, out width);
                Assert.That(new[] { height, width },
                            Is.EqualTo(new[] { maps[i].GetLength(0), maps[i].GetLength(1) }), "map " + i);
                Assert.That(data.Map(i), Is.EqualTo(maps[i]), "map " + i);
            }
        }

        private static float[] Probabilities(Model model, byte[,] map)
        {
            var batch = new byte[1, map.GetLength(0), map.GetLength(1)];
            Buffer.BlockCopy(map, 0, batch, 0, map.Length);
            float[,] p = model.Predict(batch);
            var row = new float[p.GetLength(1)];
            for (int j = 0; j < row.Length; ++j)
                row[j] = p[0, j];
            return row;
        }

        private static int ArgMax(float[] p)
        {
            int best = 0;
            for (int j = 1; j < p.Length; ++j)
                if (p[j] > p[best])
                    best = j;
            return best;
        }

        // ---- data sets --------------------------------------------------------------------------

        [Test]
        public void SingleLabelMixedSizesSaveAndLoadBackEqual()
        {
            int[] classes;
            List<byte[,]> maps = FabMaps(12, out classes);
            maps[0][10, 12] = 9;  // stored as 2
            using (Dataset data = Dataset.Create(maps, classes, ClassNames))
            {
                maps[0][10, 12] = 2;
                Assert.That(data.Count, Is.EqualTo(12));
                Assert.That(data.NumLabels, Is.EqualTo(2));
                Assert.That(data.LabelNames, Is.EqualTo(ClassNames));
                Assert.That(data.SingleLabel, Is.True);
                Assert.That(data.MixedSizes, Is.True);
                AssertSameMaps(data, maps);
                Assert.That(data.Classes(0, 12), Is.EqualTo(classes));
                Assert.That(data.Classes(3, 2), Is.EqualTo(new[] { classes[3], classes[4] }));
                Assert.That(data.Classes(12, 0), Is.Empty);
                byte[,] labels = data.Labels(0, 12);
                for (int i = 0; i < 12; ++i)
                    Assert.That(new[] { labels[i, 0], labels[i, 1] },
                                Is.EqualTo(classes[i] == 0 ? new byte[] { 1, 0 } : new byte[] { 0, 1 }));
                // The caller's maps were copied.
                maps[1][0, 0] = 2;
                Assert.That(data.Map(1)[0, 0], Is.EqualTo(0));
                maps[1][0, 0] = 0;

                Dictionary<string, object> info = Json.Object(data.Info);
                Assert.That(info["count"], Is.EqualTo(12.0));
                Assert.That(info["mixed_sizes"], Is.EqualTo(true));
                Assert.That(info["single_label"], Is.EqualTo(true));
                Assert.That(info["height"], Is.EqualTo(0.0));
                Assert.That(info["width"], Is.EqualTo(0.0));
                Assert.That(info["labels"], Is.EqualTo(ClassNames));
                Assert.That(info["support"], Is.EqualTo(new object[] { 6.0, 6.0 }));
                Assert.That(info["sizes"], Is.EqualTo(3.0));
                Assert.That(info["min_side"], Is.EqualTo(20.0));
                Assert.That(info["max_side"], Is.EqualTo(40.0));
                Assert.That(info.ContainsKey("types"), Is.False, "pattern types are MixedWM38's");

                // Maps reads a range of one size, and refuses one of several sizes.
                byte[,,] pair = data.Maps(2, 2);  // both 31 x 31
                Assert.That(new[] { pair.GetLength(0), pair.GetLength(1), pair.GetLength(2) },
                            Is.EqualTo(new[] { 2, 31, 31 }));
                for (int r = 0; r < 31; ++r)
                    for (int c = 0; c < 31; ++c)
                        Assert.That(pair[1, r, c], Is.EqualTo(maps[3][r, c]));
                Assert.Throws<InvalidOperationException>(() => data.Maps(0, 12));
                Assert.Throws<InvalidOperationException>(() => data.Maps(1, 2));

                foreach (string options in new[] { null, "{\"compressed\": false}" })
                {
                    string path = TempPath("fab " + (options == null ? "zip" : "plain") + ".npz");
                    data.Save(path, options);
                    using (Dataset loaded = Dataset.Load(path))
                    {
                        Assert.That(loaded.LabelNames, Is.EqualTo(ClassNames), path);
                        Assert.That(loaded.SingleLabel, Is.True, path);
                        Assert.That(loaded.MixedSizes, Is.True, path);
                        Assert.That(loaded.Classes(0, loaded.Count), Is.EqualTo(classes), path);
                        AssertSameMaps(loaded, maps);
                        Assert.That(loaded.Info, Is.EqualTo(data.Info), path);
                    }
                }
                // Split keeps names, task and sizes, and stratifies by class.
                using (DatasetSplit split = data.Split("{\"val\": 0.5, \"test\": 0, \"seed\": 2}"))
                {
                    Assert.That(split.Validation.Count, Is.EqualTo(6));
                    Assert.That(split.Validation.LabelNames, Is.EqualTo(ClassNames));
                    Assert.That(split.Validation.SingleLabel, Is.True);
                    Assert.That(split.Validation.Classes(0, 6).Count(k => k == 1), Is.EqualTo(3));
                    Assert.That(split.Train.Classes(0, 6).Count(k => k == 1), Is.EqualTo(3));
                }
            }
        }

        [Test]
        public void MultiLabelNamedMapsSaveAndLoadBackEqual()
        {
            // Names that need escaping in JSON, and one outside ASCII.
            string[] names = { "Ring \"outer\"", "Scratch\\{1}", "K\u00f6rner" };
            var maps = new List<byte[,]> { Wafer(12, 9, 0.1, 1), Wafer(12, 9, 0.3, 2), Wafer(7, 30, 0.5, 3) };
            var labels = new byte[,] { { 1, 0, 1 }, { 0, 0, 0 }, { 1, 1, 1 } };
            using (Dataset data = Dataset.Create(maps, labels, names))
            {
                Assert.That(data.LabelNames, Is.EqualTo(names));
                Assert.That(data.SingleLabel, Is.False);
                Assert.That(data.MixedSizes, Is.True);
                Assert.That(data.Labels(0, 3), Is.EqualTo(labels));
                AssertSameMaps(data, maps);
                Assert.Throws<InvalidOperationException>(() => data.Classes(0, 3));
                Assert.That(Json.Object(data.Info)["support"], Is.EqualTo(new object[] { 2.0, 1.0, 2.0 }));
                string path = TempPath("named.npz");
                data.Save(path);
                using (Dataset loaded = Dataset.Load(path))
                {
                    Assert.That(loaded.LabelNames, Is.EqualTo(names));
                    Assert.That(loaded.SingleLabel, Is.False);
                    Assert.That(loaded.Labels(0, 3), Is.EqualTo(labels));
                    AssertSameMaps(loaded, maps);
                }
            }
            // Maps of one size: Maps reads them all; without names the labels are MixedWM38's.
            var same = new List<byte[,]> { Wafer(16, 16, 0.1, 4), Wafer(16, 16, 0.2, 5) };
            using (Dataset data = Dataset.Create(same, (byte[,])null, null))
            {
                Assert.That(data.MixedSizes, Is.False);
                Assert.That(data.LabelNames, Is.EqualTo(_model.Labels));
                Assert.That(data.Labels(0, 2), Is.EqualTo(new byte[2, 8]));
                byte[,,] all = data.Maps(0, 2);
                Assert.That(all.GetLength(1), Is.EqualTo(16));
                Assert.That(data.Map(1), Is.EqualTo(same[1]));
                Assert.That(Json.Canonical(Json.Object(data.Info)["types"]), Is.EqualTo("{\"C1\":2}"));
            }
        }

        [Test]
        public void LoadTheRaggedAndNamedFixtures()
        {
            using (Dataset data = Dataset.Load(ModelTests.Fixture("npz/wafer_ragged.npz")))
            {
                Assert.That(data.Count, Is.EqualTo(3));
                Assert.That(data.SingleLabel, Is.True);
                Assert.That(data.MixedSizes, Is.True);
                Assert.That(data.LabelNames, Is.EqualTo(new[] { "Center", "Donut", "None" }));
                Assert.That(data.Classes(0, 3), Is.EqualTo(new[] { 2, 0, 1 }));
                var flat = new List<byte>();
                int[][] sizes = { new[] { 4, 5 }, new[] { 6, 3 }, new[] { 2, 2 } };
                for (int i = 0; i < 3; ++i)
                {
                    byte[,] map = data.Map(i);
                    Assert.That(new[] { map.GetLength(0), map.GetLength(1) }, Is.EqualTo(sizes[i]));
                    flat.AddRange(map.Cast<byte>());
                }
                Assert.That(flat, Is.EqualTo(Enumerable.Range(0, 42).Select(i => (byte)(i % 3))));
            }
            using (Dataset data = Dataset.Load(ModelTests.Fixture("npz/wafer_named_float.npz")))
            {
                Assert.That(data.SingleLabel, Is.False);
                Assert.That(data.MixedSizes, Is.False);
                Assert.That(data.LabelNames, Is.EqualTo(new[] { "a", "bb", "c" }));
                Assert.That(data.Labels(0, 2), Is.EqualTo(new byte[,] { { 1, 0, 1 }, { 0, 0, 0 } }));
                Assert.That(data.Maps(0, 2).Cast<byte>(),
                            Is.EqualTo(Enumerable.Range(0, 24).Select(i => (byte)(i % 3))));
            }
            ModelTests.AssertWdcError(Status.Format,
                                      () => Dataset.Load(ModelTests.Fixture("npz/bad_ragged_sum.npz")));
            ModelTests.AssertWdcError(Status.Format,
                                      () => Dataset.Load(ModelTests.Fixture("npz/bad_class_range.npz")));
        }

        [Test]
        public void CreateRaggedFromFlatBuffers()
        {
            // Two maps, 2 x 3 and 1 x 2, one after the other.
            byte[] maps = { 1, 2, 1, 0, 1, 2, 2, 1 };
            long[] shapes = { 2, 3, 1, 2 };
            byte[] labels = { 0, 1, 1, 0 };
            const string options = "{\"labels\": [\"a\", \"b\"], \"single_label\": true}";
            using (Dataset data = Dataset.CreateRagged(maps, shapes, labels, options))
            {
                Assert.That(data.Map(0), Is.EqualTo(new byte[,] { { 1, 2, 1 }, { 0, 1, 2 } }));
                Assert.That(data.Map(1), Is.EqualTo(new byte[,] { { 2, 1 } }));
                Assert.That(data.Classes(0, 2), Is.EqualTo(new[] { 1, 0 }));
                Assert.That(data.LabelNames, Is.EqualTo(new[] { "a", "b" }));
            }
            // The same through the typed overload.
            var list = new List<byte[,]> { new byte[,] { { 1, 2, 1 }, { 0, 1, 2 } }, new byte[,] { { 2, 1 } } };
            using (Dataset data = Dataset.Create(list, new[] { 1, 0 }, new[] { "a", "b" }))
            using (Dataset flat = Dataset.CreateRagged(maps, shapes, labels, options))
                Assert.That(data.Info, Is.EqualTo(flat.Info));
            // Multi-label with MixedWM38's labels, or none at all.
            using (Dataset data = Dataset.CreateRagged(maps, shapes))
            {
                Assert.That(data.NumLabels, Is.EqualTo(8));
                Assert.That(data.SingleLabel, Is.False);
            }
        }

        [Test]
        public void CreateRaggedErrors()
        {
            byte[] maps = { 1, 2, 1, 0, 1, 2, 2, 1 };
            byte[] labels = { 0, 1, 1, 0 };
            const string ab = "{\"labels\": [\"a\", \"b\"]}";
            const string abSingle = "{\"labels\": [\"a\", \"b\"], \"single_label\": true}";
            // Shapes that do not add up to the maps, either way.
            WdcException e = ModelTests.AssertWdcError(
                Status.InvalidArgument, () => Dataset.CreateRagged(maps, new long[] { 2, 3, 1, 1 }, labels, ab));
            StringAssert.Contains("maps_len", e.NativeMessage);
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, new long[] { 2, 3, 2, 2 }, labels, ab));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, new long[] { 2, 3, 0, 2 }, labels, ab));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, new long[] { 2, 3, -1, -2 }, labels, ab));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, new long[0], labels, ab));
            long[] shapes = { 2, 3, 1, 2 };
            // Labels: too few, a value other than 0 or 1, a single-label row without one class.
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, shapes, new byte[] { 0, 1, 1 }, ab));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, shapes, new byte[] { 0, 2, 1, 0 }, ab));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, shapes, new byte[] { 1, 1, 1, 0 }, abSingle));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, shapes, new byte[] { 0, 0, 1, 0 }, abSingle));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.CreateRagged(maps, shapes, null, abSingle));
            // Options.
            ModelTests.AssertWdcError(Status.Config,
                                      () => Dataset.CreateRagged(maps, shapes, labels, "{\"labels\": []}"));
            ModelTests.AssertWdcError(Status.Config,
                                      () => Dataset.CreateRagged(maps, shapes, labels, "{\"labels\": [\"\"]}"));
            ModelTests.AssertWdcError(Status.Config,
                                      () => Dataset.CreateRagged(maps, shapes, labels, "{\"single_label\": 1}"));
            ModelTests.AssertWdcError(Status.Config,
                                      () => Dataset.CreateRagged(maps, shapes, labels, "{\"bogus\": 1}"));
            // Arrays that never reach the library.
            Assert.Throws<ArgumentException>(() => Dataset.CreateRagged(maps, new long[] { 2, 3, 1 }, labels, ab));
            Assert.Throws<ArgumentNullException>(() => Dataset.CreateRagged(null, shapes, labels, ab));
            Assert.Throws<ArgumentNullException>(() => Dataset.CreateRagged(maps, null, labels, ab));
        }

        [Test]
        public void CreateFromListErrors()
        {
            var maps = new List<byte[,]> { Wafer(20, 24, 0.1, 1), Wafer(31, 31, 0.1, 2) };
            // A class out of range: the library sees a map without a class.
            WdcException e = ModelTests.AssertWdcError(
                Status.InvalidArgument, () => Dataset.Create(maps, new[] { 0, 2 }, ClassNames));
            StringAssert.Contains("map 1", e.NativeMessage);
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.Create(maps, new[] { -1, 0 }, ClassNames));
            // No maps; a map of 0 rows.
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.Create(new List<byte[,]>(), new int[0], ClassNames));
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.Create(new List<byte[,]> { new byte[0, 5] }, new[] { 0 }, ClassNames));
            // Names: none, or an empty one.
            ModelTests.AssertWdcError(Status.Config, () => Dataset.Create(maps, new[] { 0, 0 }, new string[0]));
            ModelTests.AssertWdcError(Status.Config, () => Dataset.Create(maps, new[] { 0, 1 }, new[] { "a", "" }));
            // Labels of a multi-label set: a value other than 0 or 1.
            ModelTests.AssertWdcError(Status.InvalidArgument,
                                      () => Dataset.Create(maps, new byte[,] { { 0, 1 }, { 2, 0 } }, ClassNames));
            // Arrays of the wrong length or shape, and nulls, never reach the library.
            Assert.Throws<ArgumentException>(() => Dataset.Create(maps, new[] { 0 }, ClassNames));
            Assert.Throws<ArgumentException>(() => Dataset.Create(maps, new byte[2, 3], ClassNames));
            Assert.Throws<ArgumentException>(() => Dataset.Create(maps, new byte[3, 2], ClassNames));
            Assert.Throws<ArgumentException>(() => Dataset.Create(maps, new byte[2, 2], (string[])null));
            Assert.Throws<ArgumentNullException>(
                () => Dataset.Create(new List<byte[,]> { maps[0], null }, new[] { 0, 1 }, ClassNames));
            Assert.Throws<ArgumentNullException>(() => Dataset.Create(maps, new[] { 0, 1 }, new[] { "a", null }));
            Assert.Throws<ArgumentNullException>(() => Dataset.Create(null, new[] { 0, 1 }, ClassNames));
            Assert.Throws<ArgumentNullException>(() => Dataset.Create(maps, (int[])null, ClassNames));
            Assert.Throws<ArgumentNullException>(() => Dataset.Create(maps, new[] { 0, 1 }, null));
            using (Dataset data = Dataset.Create(maps, new[] { 0, 1 }, ClassNames))
            {
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Map(2));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Map(-1));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => data.Classes(1, 2));
                data.Dispose();
                Assert.Throws<ObjectDisposedException>(() => data.Map(0));
                Assert.Throws<ObjectDisposedException>(() => data.Classes(0, 1));
                Assert.Throws<ObjectDisposedException>(() => { var s = data.SingleLabel; });
                Assert.Throws<ObjectDisposedException>(() => { var m = data.MixedSizes; });
            }
        }

        // ---- single-label models ----------------------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void UnlabelledModelTrainsSingleLabelOnTheDataAndEvaluates()
        {
            int[] classes;
            List<byte[,]> maps = FabMaps(24, out classes);
            string modelPath = TempPath("single-label.wdcm");
            using (Dataset data = Dataset.Create(maps, classes, ClassNames))
            using (Model model = Model.Create(UnlabelledConfig))
            {
                Assert.That(model.Labels.Length, Is.EqualTo(8), "MixedWM38's until trained");
                Assert.That(model.SingleLabel, Is.False);
                Assert.That(model.InputHeight, Is.EqualTo(16));
                string report = model.Train(data, data, "{" + Training + "}");
                StringAssert.Contains("\"val_samples\":24", report);

                // The model took the data's class names and task.
                Assert.That(model.Labels, Is.EqualTo(ClassNames));
                Assert.That(model.SingleLabel, Is.True);
                Assert.That(model.Thresholds.Length, Is.EqualTo(2));
                Assert.That(Json.Object(model.Info)["labels"], Is.EqualTo(ClassNames));

                // Softmax: per map, one probability per class, summing to 1.
                var predicted = new int[maps.Count];
                for (int i = 0; i < maps.Count; ++i)
                {
                    float[] p = Probabilities(model, maps[i]);
                    Assert.That(p.Length, Is.EqualTo(2));
                    Assert.That(p.Sum(), Is.EqualTo(1.0f).Within(1e-5f), "map " + i);
                    predicted[i] = ArgMax(p);
                }
                // The two classes differ in nothing but their share of failed dies.
                Assert.That(predicted, Is.EqualTo(classes), "a trained model tells Clean from Full");

                // Evaluate: accuracy, macro F1 and the confusion matrix of these predictions.
                Dictionary<string, object> eval = Json.Object(model.Evaluate(data));
                Assert.That(eval["task"], Is.EqualTo("single_label"));
                Assert.That(eval["samples"], Is.EqualTo(24.0));
                var confusion = ((List<object>)eval["confusion"])
                    .Select(row => ((List<object>)row).Select(n => (double)n).ToArray()).ToArray();
                Assert.That(confusion.Length, Is.EqualTo(2));
                Assert.That(confusion.Sum(row => row.Sum()), Is.EqualTo(24.0));
                for (int t = 0; t < 2; ++t)
                    for (int q = 0; q < 2; ++q)
                        Assert.That(confusion[t][q], Is.EqualTo((double)Enumerable.Range(0, 24).Count(
                            i => classes[i] == t && predicted[i] == q)), "confusion[" + t + "][" + q + "]");
                double correct = Enumerable.Range(0, 24).Count(i => predicted[i] == classes[i]);
                Assert.That((double)eval["accuracy"], Is.EqualTo(correct / 24).Within(1e-9));
                Assert.That((double)eval["macro_f1"], Is.InRange(0.0, 1.0));
                Assert.That((double)eval["min_f1"], Is.LessThanOrEqualTo((double)eval["macro_f1"]));
                var perClass = ((List<object>)eval["labels"]).Cast<Dictionary<string, object>>().ToList();
                Assert.That(perClass.Select(m => m["name"]), Is.EqualTo(ClassNames));
                Assert.That(perClass.Select(m => m["support"]), Is.EqualTo(new object[] { 12.0, 12.0 }));
                Assert.That(eval.ContainsKey("exact_match"), Is.False);

                // Classify: exactly one class per map, the most probable one, with the truth.
                var verdicts = (List<object>)Json.Parse(model.Classify(data, 0, 24));
                for (int i = 0; i < 24; ++i)
                {
                    var verdict = (Dictionary<string, object>)verdicts[i];
                    Assert.That(verdict["labels"], Is.EqualTo(new object[] { ClassNames[predicted[i]] }));
                    Assert.That(verdict["true_labels"], Is.EqualTo(new object[] { ClassNames[classes[i]] }));
                    Assert.That(verdict["correct"], Is.EqualTo(predicted[i] == classes[i]));
                }

                // The same report from the data set's npz file, and a report page.
                string npz = TempPath("single-label.npz");
                data.Save(npz);
                Assert.That(Json.Canonical(Json.Parse(model.Evaluate(npz))),
                            Is.EqualTo(Json.Canonical(eval)));
                Dictionary<string, object> page = Json.Object(model.Report(data, TempPath("single-label-report"),
                                                                           "{\"per_type\": 1, \"scale\": 1}"));
                Assert.That(page["samples"], Is.EqualTo(24.0));
                Assert.That(File.Exists((string)page["out"]), Is.True);

                // Saved and loaded, it is the same single-label model.
                model.Save(modelPath);
                using (Model loaded = Model.Load(modelPath))
                {
                    Assert.That(loaded.Labels, Is.EqualTo(ClassNames));
                    Assert.That(loaded.SingleLabel, Is.True);
                    Assert.That(Probabilities(loaded, maps[5]), Is.EqualTo(Probabilities(model, maps[5])));
                }

                // Its labels are fixed now: data of other labels is refused.
                using (Dataset other = Dataset.Create(maps, classes, new[] { "Good", "Bad" }))
                {
                    ModelTests.AssertWdcError(Status.InvalidArgument,
                                              () => model.Train(other, null, "{\"epochs\": 1}"));
                    ModelTests.AssertWdcError(Status.InvalidArgument, () => model.Evaluate(other));
                    ModelTests.AssertWdcError(Status.InvalidArgument,
                                              () => model.Report(other, TempPath("other-report")));
                }
                Assert.That(model.Labels, Is.EqualTo(ClassNames));
            }
        }

        [Test]
        [Timeout(120000)]
        public void ConfigWithLabelsAndTaskIsSingleLabelBeforeTraining()
        {
            const string config = "{\"input\":{\"height\":16,\"width\":16,\"encoding\":\"onehot\"}," +
                                  "\"blocks\":[{\"channels\":8,\"stride\":2}]," +
                                  "\"labels\":[\"Clean\",\"Full\",\"Edge\"],\"task\":\"single_label\"}";
            using (Model model = Model.Create(config))
            {
                Assert.That(model.Labels, Is.EqualTo(new[] { "Clean", "Full", "Edge" }));
                Assert.That(model.SingleLabel, Is.True);
                float[] p = Probabilities(model, Wafer(25, 30, 0.2, 1));
                Assert.That(p.Length, Is.EqualTo(3));
                Assert.That(p.Sum(), Is.EqualTo(1.0f).Within(1e-5f));
            }
            ModelTests.AssertWdcError(Status.Config, () => Model.Create(
                "{\"labels\":[\"only\"],\"task\":\"single_label\"}"));
            ModelTests.AssertWdcError(Status.Config, () => Model.Create("{\"task\":\"multi\"}"));
        }

        // ---- fine-tuning ------------------------------------------------------------------------

        [Test]
        [Timeout(180000)]
        public void FineTuneFromAModelFileWithInit()
        {
            int[] classes;
            List<byte[,]> maps = FabMaps(24, out classes);
            string basePath = TempPath("init-base.wdcm");
            string npz = TempPath("init-data.npz");
            using (Dataset data = Dataset.Create(maps, classes, ClassNames))
            {
                data.Save(npz);
                using (Model trained = Model.Create(UnlabelledConfig))
                {
                    trained.Train(data, data, "{" + Training + "}");
                    trained.Save(basePath);
                }
                using (Model source = Model.Load(basePath))
                {
                    // With a learning rate of 0 the weights stay those of "init" (the head too:
                    // same labels, same task); only BatchNorm's running statistics move, a little.
                    const string still = "\"epochs\": 1, \"lr\": 0, \"momentum\": 0, \"seed\": 1, \"threads\": 1";
                    using (Model tuned = Model.Create(UnlabelledConfig))
                    using (Model fresh = Model.Create(UnlabelledConfig))
                    {
                        // Through the options' "data" (an npz) ...
                        tuned.Train("{\"data\": " + Quote(npz) + ", \"val\": " + Quote(npz) +
                                    ", \"init\": " + Quote(basePath) + ", " + still + "}");
                        fresh.Train("{\"data\": " + Quote(npz) + ", \"val\": " + Quote(npz) + ", " + still + "}");
                        Assert.That(tuned.Labels, Is.EqualTo(ClassNames));
                        var options = (Dictionary<string, object>)((Dictionary<string, object>)
                            Json.Object(tuned.Info)["training"])["options"];
                        Assert.That(options["init"], Is.EqualTo(basePath));
                        double tunedGap = 0, freshGap = 0;
                        for (int i = 0; i < maps.Count; ++i)
                        {
                            float[] expected = Probabilities(source, maps[i]);
                            float[] p = Probabilities(tuned, maps[i]);
                            Assert.That(ArgMax(p), Is.EqualTo(ArgMax(expected)), "map " + i);
                            tunedGap = Math.Max(tunedGap, Math.Abs(p[0] - expected[0]));
                            freshGap = Math.Max(freshGap, Math.Abs(Probabilities(fresh, maps[i])[0] - expected[0]));
                        }
                        // Here about 0.006 and 0.14.
                        Assert.That(tunedGap, Is.LessThan(0.03), "init's weights were taken");
                        Assert.That(freshGap, Is.GreaterThan(0.1), "without init the weights are others");
                    }
                    // ... and on data sets in memory, training on from there.
                    using (Model tuned = Model.Create(UnlabelledConfig))
                    {
                        tuned.Train(data, data, "{\"init\": " + Quote(basePath) + ", " + Training + "}");
                        Assert.That(tuned.Labels, Is.EqualTo(ClassNames));
                        Assert.That(maps.Select(m => ArgMax(Probabilities(tuned, m))), Is.EqualTo(classes));
                    }
                }

                // A network that differs from the init model's: a clear error.
                using (Model other = Model.Create(OtherConfig))
                {
                    WdcException e = ModelTests.AssertWdcError(Status.InvalidArgument, () => other.Train(
                        data, null, "{\"init\": " + Quote(basePath) + ", \"epochs\": 1}"));
                    StringAssert.Contains("init model", e.NativeMessage);
                    StringAssert.Contains("network differs", e.NativeMessage);
                    // A failure before training starts leaves the model as it was (wdc_train):
                    // it has not taken the data's names, and still predicts MixedWM38's 8.
                    Assert.That(other.Labels.Length, Is.EqualTo(8));
                    Assert.That(Probabilities(other, maps[0]).Length, Is.EqualTo(8));
                }
                using (Model other = Model.Create(UnlabelledConfig))
                {
                    ModelTests.AssertWdcError(Status.InvalidArgument, () => other.Train(
                        data, null, "{\"init\": \"builtin\", \"epochs\": 1}"));  // a DCN network
                    ModelTests.AssertWdcError(Status.IO, () => other.Train(
                        data, null, "{\"init\": " + Quote(TempPath("no-such.wdcm")) + ", \"epochs\": 1}"));
                    ModelTests.AssertWdcError(Status.Config, () => other.Train(data, null, "{\"init\": 1}"));
                }
            }
        }

        private static string Quote(string path)
        {
            return "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        }
    }
}
