// NUnit 2.6 tests of the C# binding (ctest -L csharp). Run by nunit-console from the build's
// bindings/csharp/out directory; environment (set by CTest):
//   WDC_TEST_TMP       a writable directory
//   WDC_TEST_FIXTURES  tests/fixtures of the source tree (npz/wafer_small.npz)
//   LD_LIBRARY_PATH    libwdc_csharp.so and libwdc.so.1
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    /// <summary>What every fixture shares: a tiny untrained model for the read-only tests, and a
    /// folder of its own for the files its tests write.</summary>
    public abstract class ModelFixture
    {
        private readonly string _folder;
        protected Model _model;
        private string _tmp;

        protected ModelFixture(string folder)
        {
            _folder = folder;
        }

        [TestFixtureSetUp]
        public void CreateSharedModel()
        {
            _tmp = Path.Combine(Environment.GetEnvironmentVariable("WDC_TEST_TMP") ?? Path.GetTempPath(),
                                _folder);
            Directory.CreateDirectory(_tmp);
            _model = Model.Create(ModelTests.TinyConfig);
        }

        [TestFixtureTearDown]
        public void DisposeSharedModel()
        {
            if (_model != null)
                _model.Dispose();
        }

        protected string TempPath(string name)
        {
            return Path.Combine(_tmp, name);
        }
    }

    [TestFixture]
    public class ModelTests : ModelFixture
    {
        public ModelTests() : base("nunit")
        {
        }

        // The tiny network of the issue: trains one synthetic epoch in seconds.
        internal const string TinyConfig =
            "{\"input\":{\"encoding\":\"onehot\"}," +
            "\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":16,\"stride\":2}]}";
        private const string TinyTraining = "{\"synthetic\": 200, \"epochs\": 1}";
        // A tiny network whose labels are not MixedWM38's.
        internal const string TwoLabelConfig =
            "{\"input\":{\"encoding\":\"onehot\"},\"blocks\":[{\"channels\":8,\"stride\":2}]," +
            "\"labels\":[\"a\",\"b\"]}";

        internal static string Fixture(string relative)
        {
            string root = Environment.GetEnvironmentVariable("WDC_TEST_FIXTURES");
            if (root == null)
                Assert.Ignore("WDC_TEST_FIXTURES is not set");
            return Path.Combine(root, relative);
        }

        /// <summary>Deterministic maps: a disc of passing dies with a few failing patterns.</summary>
        internal static byte[,,] MakeMaps(int count, int height, int width)
        {
            var maps = new byte[count, height, width];
            uint state = 12345;
            for (int n = 0; n < count; ++n)
                for (int r = 0; r < height; ++r)
                    for (int c = 0; c < width; ++c)
                    {
                        double dr = (r - (height - 1) / 2.0) / (height / 2.0);
                        double dc = (c - (width - 1) / 2.0) / (width / 2.0);
                        double d2 = dr * dr + dc * dc;
                        state = state * 1664525u + 1013904223u;
                        bool fail = (state >> 24) < 8 || (n % 3 == 0 && d2 < 0.1) ||
                                    (n % 3 == 1 && d2 > 0.8);
                        maps[n, r, c] = d2 > 1.0 ? (byte)0 : fail ? (byte)2 : (byte)1;
                    }
            return maps;
        }

        private static byte[] Flatten(byte[,,] maps)
        {
            var flat = new byte[maps.Length];
            Buffer.BlockCopy(maps, 0, flat, 0, flat.Length);
            return flat;
        }

        private static void AssertProbabilities(float[,] p, int count, int labels)
        {
            Assert.That(p.GetLength(0), Is.EqualTo(count));
            Assert.That(p.GetLength(1), Is.EqualTo(labels));
            foreach (float v in p)
                Assert.That(v, Is.InRange(0.0f, 1.0f));
        }

        internal static WdcException AssertWdcError(Status status, TestDelegate call)
        {
            var e = Assert.Throws<WdcException>(call);
            Assert.That(e.Status, Is.EqualTo(status));
            Assert.That(e.StatusName, Is.EqualTo("WDC_E_" + StatusSuffix(status)));
            Assert.That(e.NativeMessage, Is.Not.Empty);
            StringAssert.StartsWith(e.StatusName + ": ", e.Message);
            return e;
        }

        private static string StatusSuffix(Status status)
        {
            switch (status)
            {
                case Status.InvalidArgument: return "INVALID_ARGUMENT";
                case Status.OutOfMemory: return "OUT_OF_MEMORY";
                default: return status.ToString().ToUpperInvariant();
            }
        }

        // ---- library ------------------------------------------------------------------------------

        [Test]
        public void VersionAndAbi()
        {
            StringAssert.IsMatch(@"^\d+\.\d+\.\d+", Library.Version);
            Assert.That(Library.AbiVersion, Is.EqualTo(Library.BindingAbiVersion));
            Assert.That(Library.BindingAbiVersion, Is.EqualTo(1));
        }

        [Test]
        public void RuntimeStatusIsElevenAndNamedByTheLibrary()
        {
            Assert.That((int)Status.Runtime, Is.EqualTo(11));
            var e = new WdcException(Status.Runtime, "CUDA error: device lost");
            Assert.That(e.StatusName, Is.EqualTo("WDC_E_RUNTIME"));
            Assert.That(e.Message, Is.EqualTo("WDC_E_RUNTIME: CUDA error: device lost"));
        }

        // ---- create, labels, info ---------------------------------------------------------------

        [Test]
        public void CreateGivesMixedWM38Labels()
        {
            string[] labels = _model.Labels;
            Assert.That(labels.Length, Is.EqualTo(8));
            Assert.That(labels, Has.Member("Center"));
            Assert.That(labels, Is.Unique);
            labels[0] = "changed";  // a copy: the model's labels are unchanged
            Assert.That(_model.Labels[0], Is.Not.EqualTo("changed"));
            Assert.That(_model.InputHeight, Is.EqualTo(52));
            Assert.That(_model.InputWidth, Is.EqualTo(52));
        }

        [Test]
        public void CreateDefaultNetwork()
        {
            using (Model model = Model.Create())
                Assert.That(model.Labels.Length, Is.EqualTo(8));
        }

        [Test]
        public void InfoIsJson()
        {
            string info = _model.Info;
            StringAssert.StartsWith("{", info.TrimStart());
            StringAssert.Contains("\"labels\"", info);
            StringAssert.Contains("Center", info);
        }

        [Test]
        public void CreateWithBadConfigThrowsConfig()
        {
            AssertWdcError(Status.Config, () => Model.Create("{\"blocks\": "));
            AssertWdcError(Status.Config, () => Model.Create("{\"no_such_key\": 1}"));
        }

        [Test]
        public void CreateWithOptions()
        {
            const string options = "{\"device\": \"cpu\", \"threads\": 1, \"max_map_side\": 64, " +
                                   "\"max_batch\": 2, \"buffer_cache\": false}";
            using (Model model = Model.Create(TinyConfig, options))
            {
                Assert.That(model.Labels, Is.EqualTo(_model.Labels));
                AssertProbabilities(model.Predict(MakeMaps(2, 64, 64)), 2, 8);
                // The limits are the model's: the shared model (defaults) takes what this refuses.
                AssertWdcError(Status.InvalidArgument, () => model.Predict(MakeMaps(1, 65, 64)));
                AssertWdcError(Status.InvalidArgument, () => model.Predict(MakeMaps(3, 52, 52)));
                AssertProbabilities(_model.Predict(MakeMaps(3, 65, 64)), 3, 8);
            }
            using (Model model = Model.Create(null, null))
                Assert.That(model.Labels.Length, Is.EqualTo(8));
            AssertWdcError(Status.Config, () => Model.Create(TinyConfig, "{\"no_such_option\": 1}"));
            AssertWdcError(Status.Config, () => Model.Create(TinyConfig, "{\"threads\": \"many\"}"));
            AssertWdcError(Status.Config, () => Model.Create("{\"blocks\": ", "{}"));
        }

        // ---- save / load --------------------------------------------------------------------------

        [Test]
        public void SaveLoadRoundTripKeepsPredictions()
        {
            // A non-ASCII path checks that strings cross as UTF-8.
            string path = TempPath("round trip \u00e9\u00fc\u4e2d.wdcm");
            _model.Save(path);
            byte[,,] maps = MakeMaps(3, 52, 52);
            using (Model loaded = Model.Load(path))
            {
                Assert.That(loaded.Labels, Is.EqualTo(_model.Labels));
                Assert.That(loaded.Predict(maps), Is.EqualTo(_model.Predict(maps)));
            }
            using (Model loaded = Model.Load(path, "{\"device\":\"cpu\"}"))
                Assert.That(loaded.Predict(maps), Is.EqualTo(_model.Predict(maps)));
        }

        [Test]
        public void LoadErrors()
        {
            AssertWdcError(Status.IO, () => Model.Load(TempPath("does-not-exist.wdcm")));
            string garbage = TempPath("garbage.wdcm");
            File.WriteAllText(garbage, "this is not a model file");
            AssertWdcError(Status.Format, () => Model.Load(garbage));
            string good = TempPath("options.wdcm");
            _model.Save(good);
            AssertWdcError(Status.Config, () => Model.Load(good, "{\"no_such_option\": 1}"));
            AssertWdcError(Status.InvalidArgument, () => Model.Load(""));
            Assert.Throws<ArgumentNullException>(() => Model.Load(null));
            Assert.Throws<ArgumentException>(() => Model.Load("a\0b"));
        }

        // A wafer with 1 in 7 dies failed in a fixed scatter (real wafers have such a background;
        // on a spotless one the model is unsure of a blob), and the same wafer with a failed blob
        // of radius 7 in the middle.
        private static byte[,,] PlainAndCenterWafers()
        {
            var maps = new byte[2, 52, 52];
            for (int r = 0; r < 52; ++r)
                for (int c = 0; c < 52; ++c)
                {
                    double d = Math.Sqrt((r - 25.5) * (r - 25.5) + (c - 25.5) * (c - 25.5));
                    byte die = d > 25.5 ? (byte)0 : (r * 31 + c * 17) % 7 == 0 ? (byte)2 : (byte)1;
                    maps[0, r, c] = die;
                    maps[1, r, c] = die != 0 && d <= 7 ? (byte)2 : die;
                }
            return maps;
        }

        [Test]
        public void LoadBuiltinIsTheTrainedMixedWM38Model()
        {
            byte[,,] maps = PlainAndCenterWafers();
            using (Model model = Model.LoadBuiltin("{\"threads\": 1}"))
            {
                Assert.That(model.Labels[0], Is.EqualTo("Center"));
                StringAssert.Contains("\"best_epoch\"", model.Info);
                float[,] p = model.Predict(maps);
                for (int j = 0; j < 8; ++j)
                {
                    Assert.That(p[0, j], Is.LessThan(0.5f), "no pattern, label " + j);
                    Assert.That(p[1, j] > 0.5f, Is.EqualTo(j == 0), "center blob, label " + j);
                }
            }
            AssertWdcError(Status.Config, () => Model.LoadBuiltin("{\"no_such_option\": 1}"));
        }

        [Test]
        public void PrecisionOptionFollowsFp32OrIsUnsupported()
        {
            byte[,,] maps = MakeMaps(4, 52, 52);
            using (Model fp32 = Model.LoadBuiltin(null))
            {
                StringAssert.Contains("\"precision\":\"fp32\"", fp32.Info);
                bool native;
                using (Model automatic = Model.LoadBuiltin("{\"precision\": \"auto\"}"))
                    native = automatic.Info.Contains("\"precision\":\"bf16\"");
                if (!native)
                {
                    AssertWdcError(Status.Unsupported,
                                   () => Model.LoadBuiltin("{\"precision\": \"bf16\"}"));
                }
                else
                {
                    using (Model bf16 = Model.LoadBuiltin("{\"precision\": \"bf16\"}"))
                    {
                        float[,] p32 = fp32.Predict(maps), p16 = bf16.Predict(maps);
                        float worst = 0;
                        for (int i = 0; i < 4; ++i)
                            for (int j = 0; j < 8; ++j)
                                worst = Math.Max(worst, Math.Abs(p32[i, j] - p16[i, j]));
                        Assert.That(worst, Is.GreaterThan(0f).And.LessThan(0.05f));
                    }
                }
            }
            AssertWdcError(Status.Config, () => Model.LoadBuiltin("{\"precision\": \"fp16\"}"));
        }

        [Test]
        public void SaveErrors()
        {
            AssertWdcError(Status.IO, () => _model.Save(TempPath("no-such-dir/model.wdcm")));
            Assert.Throws<ArgumentNullException>(() => _model.Save(null));
        }

        // ---- predict ------------------------------------------------------------------------------

        [Test]
        public void PredictShapesAndOverloadsAgree()
        {
            byte[,,] maps = MakeMaps(4, 52, 52);
            float[,] p = _model.Predict(maps);
            AssertProbabilities(p, 4, 8);
            float[] flat = _model.Predict(Flatten(maps), 4, 52, 52);
            Assert.That(flat.Length, Is.EqualTo(32));
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 8; ++j)
                    Assert.That(flat[i * 8 + j], Is.EqualTo(p[i, j]));
            // One map alone gives the same result as in the batch.
            byte[,,] second = new byte[1, 52, 52];
            Buffer.BlockCopy(maps, 52 * 52, second, 0, 52 * 52);
            float[,] alone = _model.Predict(second);
            for (int j = 0; j < 8; ++j)
                Assert.That(alone[0, j], Is.EqualTo(p[1, j]).Within(1e-5f));
        }

        [Test]
        public void PredictOtherSizesAreResized()
        {
            AssertProbabilities(_model.Predict(MakeMaps(2, 40, 31)), 2, 8);
            AssertProbabilities(_model.Predict(MakeMaps(1, 1, 1)), 1, 8);
        }

        [Test]
        public void PredictEmptyInputGivesEmptyResult()
        {
            AssertProbabilities(_model.Predict(new byte[0, 52, 52]), 0, 8);
            Assert.That(_model.Predict(new byte[0], 0, 52, 52), Is.Empty);
        }

        [Test]
        public void PredictErrors()
        {
            Assert.Throws<ArgumentNullException>(() => _model.Predict((byte[,,])null));
            Assert.Throws<ArgumentNullException>(() => _model.Predict(null, 1, 52, 52));
            // A buffer shorter than count * height * width never reaches the library.
            Assert.Throws<ArgumentException>(() => _model.Predict(new byte[52 * 52], 2, 52, 52));
            AssertWdcError(Status.InvalidArgument, () => _model.Predict(new byte[1, 0, 52]));
            AssertWdcError(Status.InvalidArgument, () => _model.Predict(new byte[1, 1, 4097]));
            AssertWdcError(Status.InvalidArgument, () => _model.Predict(new byte[10], -1, 2, 5));
            AssertWdcError(Status.InvalidArgument, () => _model.Predict(new byte[10], 1, 2, -5));
        }

        // ---- CAM ----------------------------------------------------------------------------------

        [Test]
        public void CamHasTheMapsSize()
        {
            byte[,,] maps = MakeMaps(1, 45, 38);
            var map = new byte[45, 38];
            Buffer.BlockCopy(maps, 0, map, 0, map.Length);
            for (int label = 0; label < 8; label += 7)
            {
                float[,] cam = _model.Cam(map, label);
                Assert.That(cam.GetLength(0), Is.EqualTo(45));
                Assert.That(cam.GetLength(1), Is.EqualTo(38));
                foreach (float v in cam)
                    Assert.That(v, Is.InRange(0.0f, 1.0f));
                var flat = new byte[map.Length];
                Buffer.BlockCopy(map, 0, flat, 0, flat.Length);
                float[] cam1 = _model.Cam(flat, 45, 38, label);
                var expected = new float[cam1.Length];
                Buffer.BlockCopy(cam, 0, expected, 0, cam1.Length * sizeof(float));
                Assert.That(cam1, Is.EqualTo(expected));
            }
        }

        [Test]
        public void CamErrors()
        {
            var map = new byte[52, 52];
            AssertWdcError(Status.InvalidArgument, () => _model.Cam(map, 8));
            AssertWdcError(Status.InvalidArgument, () => _model.Cam(map, -1));
            AssertWdcError(Status.InvalidArgument, () => _model.Cam(new byte[0, 52], 0));
            Assert.Throws<ArgumentNullException>(() => _model.Cam((byte[,])null, 0));
            Assert.Throws<ArgumentException>(() => _model.Cam(new byte[10], 4, 4, 0));
        }

        // ---- decisions ----------------------------------------------------------------------------

        [Test]
        public void ThresholdsOfAnUntrainedModelAreOneHalf()
        {
            float[] thresholds = _model.Thresholds;
            Assert.That(thresholds, Is.EqualTo(new float[] { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f }));
            thresholds[0] = 0.9f;  // a copy
            Assert.That(_model.Thresholds[0], Is.EqualTo(0.5f));
        }

        [Test]
        public void ThresholdsAreThoseOfInfo()
        {
            using (Model model = Model.LoadBuiltin())
            {
                var info = Json.Object(model.Info);
                var expected = (List<object>)info["thresholds"];
                float[] thresholds = model.Thresholds;
                Assert.That(thresholds.Length, Is.EqualTo(expected.Count));
                for (int j = 0; j < thresholds.Length; ++j)
                    Assert.That(thresholds[j], Is.EqualTo((double)expected[j]).Within(1e-6), "label " + j);
            }
        }

        [Test]
        public void LabelIndex()
        {
            string[] labels = _model.Labels;
            for (int j = 0; j < labels.Length; ++j)
            {
                Assert.That(_model.LabelIndex(labels[j]), Is.EqualTo(j));
                Assert.That(_model.LabelIndex(labels[j].ToUpperInvariant()), Is.EqualTo(j));
                Assert.That(_model.LabelIndex(j.ToString()), Is.EqualTo(j));
            }
            Assert.That(_model.LabelIndex("L"), Is.EqualTo(Array.IndexOf(labels, "Loc")));
            Assert.That(_model.LabelIndex("EL"), Is.EqualTo(Array.IndexOf(labels, "Edge_Loc")));
            Assert.That(_model.LabelIndex("NF"), Is.EqualTo(Array.IndexOf(labels, "Near_Full")));
            Assert.That(_model.LabelIndex("no such label"), Is.EqualTo(-1));
            Assert.That(_model.LabelIndex("8"), Is.EqualTo(-1));
            Assert.That(_model.LabelIndex(""), Is.EqualTo(-1));
            Assert.Throws<ArgumentNullException>(() => _model.LabelIndex(null));
        }

        /// <summary>Checks a result of Classify against Predict's probabilities and the model's
        /// thresholds; returns the parsed objects.</summary>
        internal static List<object> AssertClassification(Model model, string json, float[,] p,
                                                          long firstIndex)
        {
            var result = (List<object>)Json.Parse(json);
            Assert.That(result.Count, Is.EqualTo(p.GetLength(0)));
            string[] labels = model.Labels;
            float[] thresholds = model.Thresholds;
            for (int i = 0; i < result.Count; ++i)
            {
                var map = (Dictionary<string, object>)result[i];
                Assert.That(map["index"], Is.EqualTo((double)(firstIndex + i)));
                var probabilities = (List<object>)map["probabilities"];
                var present = new List<object>();
                Assert.That(probabilities.Count, Is.EqualTo(labels.Length));
                for (int j = 0; j < labels.Length; ++j)
                {
                    Assert.That((double)probabilities[j], Is.EqualTo(p[i, j]).Within(1e-6),
                                "map " + i + ", label " + j);
                    if (p[i, j] >= thresholds[j])
                        present.Add(labels[j]);
                }
                Assert.That(map["labels"], Is.EqualTo(present), "map " + i);
                var type = (Dictionary<string, object>)map["type"];
                Assert.That(type.ContainsKey("id"), Is.True);
                Assert.That(type["name"], Is.InstanceOf<string>());
            }
            return result;
        }

        [Test]
        public void ClassifyMatchesPredict()
        {
            byte[,,] maps = MakeMaps(5, 52, 52);
            AssertClassification(_model, _model.Classify(maps), _model.Predict(maps), 0);
            byte[,,] other = MakeMaps(2, 40, 31);  // resized, as by Predict
            AssertClassification(_model, _model.Classify(other), _model.Predict(other), 0);
            Assert.That(_model.Classify(new byte[0, 52, 52]), Is.EqualTo("[]"));
        }

        [Test]
        public void ClassifyNamesTheMixedWM38PatternType()
        {
            byte[,,] maps = PlainAndCenterWafers();  // no pattern, a center blob
            using (Model model = Model.LoadBuiltin())
            {
                List<object> result = AssertClassification(model, model.Classify(maps),
                                                           model.Predict(maps), 0);
                var none = (Dictionary<string, object>)result[0];
                Assert.That(none["labels"], Is.Empty);
                var noneType = (Dictionary<string, object>)none["type"];
                Assert.That(noneType["id"], Is.EqualTo("C1"));
                Assert.That(noneType["name"], Is.EqualTo("Normal"));
                var center = (Dictionary<string, object>)result[1];
                Assert.That(center["labels"], Is.EqualTo(new object[] { "Center" }));
                var centerType = (Dictionary<string, object>)center["type"];
                Assert.That(centerType["id"], Is.EqualTo("C2"));
                Assert.That(centerType["name"], Is.EqualTo("Center"));
            }
        }

        [Test]
        public void ClassifyErrors()
        {
            Assert.Throws<ArgumentNullException>(() => _model.Classify((byte[,,])null));
            AssertWdcError(Status.InvalidArgument, () => _model.Classify(new byte[1, 0, 52]));
            AssertWdcError(Status.InvalidArgument, () => _model.Classify(new byte[1, 1, 4097]));
        }

        // ---- evaluate -----------------------------------------------------------------------------

        [Test]
        public void EvaluateGivesJsonReport()
        {
            string report = _model.Evaluate(Fixture("npz/wafer_small.npz"));
            StringAssert.StartsWith("{", report.TrimStart());
            StringAssert.Contains("exact", report);
        }

        [Test]
        public void EvaluateErrors()
        {
            AssertWdcError(Status.IO, () => _model.Evaluate(TempPath("missing.npz")));
            AssertWdcError(Status.Format, () => _model.Evaluate(Fixture("npz/not_a_zip.npz")));
            Assert.Throws<ArgumentNullException>(() => _model.Evaluate((string)null));
        }

        [Test]
        public void EvaluateMapsErrors()
        {
            byte[,,] maps = MakeMaps(2, 52, 52);
            var labels = new byte[2, 8];
            Assert.Throws<ArgumentNullException>(() => _model.Evaluate(null, labels));
            Assert.Throws<ArgumentNullException>(() => _model.Evaluate(maps, null));
            // Labels of another shape never reach the library.
            Assert.Throws<ArgumentException>(() => _model.Evaluate(maps, new byte[2, 7]));
            Assert.Throws<ArgumentException>(() => _model.Evaluate(maps, new byte[3, 8]));
            labels[1, 3] = 2;
            AssertWdcError(Status.InvalidArgument, () => _model.Evaluate(maps, labels));
            AssertWdcError(Status.InvalidArgument,
                           () => _model.Evaluate(new byte[0, 52, 52], new byte[0, 8]));
            using (Model other = Model.Create(TwoLabelConfig))
                AssertWdcError(Status.Unsupported, () => other.Evaluate(maps, new byte[2, 2]));
        }

        private static void AssertSameReport(string expected, string actual)
        {
            Assert.That(Json.Canonical(Json.Parse(actual)), Is.EqualTo(Json.Canonical(Json.Parse(expected))));
        }

        [Test]
        public void EvaluateArraysEqualsFile()
        {
            string fixture = Fixture("npz/wafer_small.npz");
            using (Dataset data = Dataset.Load(fixture))
            {
                string fromFile = _model.Evaluate(fixture);
                AssertSameReport(fromFile, _model.Evaluate(data.Maps(0, data.Count),
                                                           data.Labels(0, data.Count)));
                AssertSameReport(fromFile, _model.Evaluate(data));
            }
            // And for maps made here, saved by the library.
            byte[,,] maps = MakeMaps(12, 52, 52);
            byte[,] labels = DatasetTests.MakeLabels(12);
            string path = TempPath("evaluate.npz");
            using (Dataset data = Dataset.Create(maps, labels))
            {
                data.Save(path);
                string fromFile = _model.Evaluate(path);
                StringAssert.Contains("exact", fromFile);
                AssertSameReport(fromFile, _model.Evaluate(maps, labels));
                AssertSameReport(fromFile, _model.Evaluate(data));
            }
        }

        // ---- report -------------------------------------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void Report()
        {
            string dir = TempPath("report \u00e9");
            using (Dataset data = Dataset.Synthesize(40, 2))
            {
                Dictionary<string, object> result = Json.Object(_model.Report(
                    data, dir, "{\"per_type\": 1, \"scale\": 1, \"model_name\": \"tiny-model\"}"));
                string index = Path.Combine(dir, "index.html");
                Assert.That(File.Exists(index), Is.True);
                StringAssert.EndsWith("index.html", (string)result["out"]);
                Assert.That(result["bytes"], Is.EqualTo((double)new FileInfo(index).Length));
                Assert.That(result["samples"], Is.EqualTo(40.0));
                Assert.That((double)result["exact_match"], Is.InRange(0.0, 1.0));
                string html = File.ReadAllText(index, Encoding.UTF8);
                StringAssert.Contains("tiny-model", html);
                StringAssert.Contains("<html", html.ToLowerInvariant());
            }
        }

        [Test]
        public void ReportErrors()
        {
            string file = TempPath("report-is-a-file");
            File.WriteAllText(file, "x");
            using (Dataset whole = Dataset.Synthesize(10, 1))
            using (DatasetSplit split = whole.Split("{\"val\": 0, \"test\": 0}"))
            using (Model other = Model.Create(TwoLabelConfig))
            {
                AssertWdcError(Status.InvalidArgument, () => _model.Report(whole, file));
                AssertWdcError(Status.InvalidArgument,
                               () => _model.Report(split.Test, TempPath("report-empty")));
                AssertWdcError(Status.Config, () => _model.Report(whole, TempPath("r"), "{\"scale\": 0}"));
                // The data's labels (MixedWM38's) are not the model's.
                AssertWdcError(Status.InvalidArgument, () => other.Report(whole, TempPath("report-other")));
                Assert.Throws<ArgumentNullException>(() => _model.Report(null, TempPath("r")));
                Assert.Throws<ArgumentNullException>(() => _model.Report(whole, null));
            }
        }

        // ---- dispose ------------------------------------------------------------------------------

        [Test]
        public void DisposeTwiceThenUseThrowsObjectDisposed()
        {
            Model model = Model.Create(TinyConfig);
            model.Dispose();
            model.Dispose();
            Assert.Throws<ObjectDisposedException>(() => model.Predict(MakeMaps(1, 52, 52)));
            Assert.Throws<ObjectDisposedException>(() => model.Predict(new byte[4], 1, 2, 2));
            Assert.Throws<ObjectDisposedException>(() => model.Cam(new byte[2, 2], 0));
            Assert.Throws<ObjectDisposedException>(() => { var l = model.Labels; });
            Assert.Throws<ObjectDisposedException>(() => { var i = model.Info; });
            Assert.Throws<ObjectDisposedException>(() => model.Save(TempPath("disposed.wdcm")));
            Assert.Throws<ObjectDisposedException>(() => model.Train(TinyTraining));
            Assert.Throws<ObjectDisposedException>(() => { var t = model.Thresholds; });
            Assert.Throws<ObjectDisposedException>(() => model.LabelIndex("Center"));
            Assert.Throws<ObjectDisposedException>(() => model.Classify(MakeMaps(1, 52, 52)));
            Assert.Throws<ObjectDisposedException>(
                () => model.Evaluate(MakeMaps(1, 52, 52), new byte[1, 8]));
        }

        [Test]
        public void UndisposedModelsAreFreedByTheFinalizer()
        {
            for (int i = 0; i < 20; ++i)
                Model.Create(TinyConfig);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        // ---- threads ------------------------------------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void PredictAndCamFromManyThreadsMatchSerialResults()
        {
            byte[,,] maps = MakeMaps(6, 52, 52);
            float[,] expected = _model.Predict(maps);
            var map = new byte[52, 52];
            Buffer.BlockCopy(maps, 0, map, 0, map.Length);
            float[,] expectedCam = _model.Cam(map, 2);

            const int threadCount = 8, rounds = 5;
            var errors = new List<Exception>();
            var threads = new Thread[threadCount];
            using (var start = new ManualResetEvent(false))
            {
                for (int t = 0; t < threadCount; ++t)
                {
                    threads[t] = new Thread(() =>
                    {
                        try
                        {
                            start.WaitOne();
                            for (int r = 0; r < rounds; ++r)
                            {
                                Assert.That(_model.Predict(maps), Is.EqualTo(expected));
                                Assert.That(_model.Cam(map, 2), Is.EqualTo(expectedCam));
                                Assert.That(_model.Labels.Length, Is.EqualTo(8));
                            }
                            // Errors are per thread: each sees its own message.
                            var e = Assert.Throws<WdcException>(() => _model.Cam(map, 99));
                            Assert.That(e.Status, Is.EqualTo(Status.InvalidArgument));
                        }
                        catch (Exception e)
                        {
                            lock (errors)
                                errors.Add(e);
                        }
                    });
                    threads[t].Start();
                }
                start.Set();
                foreach (Thread thread in threads)
                    thread.Join();
            }
            Assert.That(errors, Is.Empty, errors.Count > 0 ? errors[0].ToString() : "");
        }

        // ---- training -----------------------------------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void TrainReportsProgressAndReturnsReport()
        {
            using (Model model = Model.Create(TinyConfig))
            {
                var seen = new List<Progress>();
                int trainingThread = Thread.CurrentThread.ManagedThreadId;
                string report = model.Train(TinyTraining, p =>
                {
                    Assert.That(Thread.CurrentThread.ManagedThreadId, Is.EqualTo(trainingThread));
                    seen.Add(p);
                    return false;
                });
                StringAssert.StartsWith("{", report.TrimStart());
                Assert.That(seen, Is.Not.Empty);
                Progress last = seen[seen.Count - 1];
                Assert.That(last.Epoch, Is.EqualTo(1));
                Assert.That(last.Epochs, Is.EqualTo(1));
                Assert.That(last.Steps, Is.GreaterThan(0));
                Assert.That(last.Step, Is.EqualTo(last.Steps));
                Assert.That(last.Loss, Is.GreaterThan(0.0));
                foreach (Progress p in seen)
                    if (p.ValidationExactMatch.HasValue)
                        Assert.That(p.ValidationExactMatch.Value, Is.InRange(0.0, 1.0));
                StringAssert.StartsWith("epoch 1/1", last.ToString());
                // The trained model predicts, saves and loads.
                AssertProbabilities(model.Predict(MakeMaps(2, 52, 52)), 2, 8);
                string path = TempPath("trained.wdcm");
                model.Save(path);
                using (Model loaded = Model.Load(path))
                    Assert.That(loaded.Predict(MakeMaps(2, 52, 52)),
                                Is.EqualTo(model.Predict(MakeMaps(2, 52, 52))));
            }
        }

        [Test]
        [Timeout(120000)]
        public void TrainWithoutCallback()
        {
            using (Model model = Model.Create(TinyConfig))
                StringAssert.StartsWith("{", model.Train(TinyTraining));
        }

        [Test]
        public void TrainOnDatasetsEqualsTrainOnFiles()
        {
            const string options = "\"epochs\": 1, \"batch_size\": 16, \"seed\": 3, \"threads\": 1";
            byte[,,] maps = MakeMaps(6, 52, 52);
            using (Dataset all = Dataset.Synthesize(120, 8))
            using (DatasetSplit parts = all.Split("{\"val\": 0.25, \"test\": 0}"))
            using (Model fromFiles = Model.Create(TinyConfig))
            using (Model fromMemory = Model.Create(TinyConfig))
            {
                string train = TempPath("train-parts.npz"), val = TempPath("val-parts.npz");
                parts.Train.Save(train);
                parts.Validation.Save(val);
                fromFiles.Train("{\"data\": \"" + train + "\", \"val\": \"" + val + "\", " + options + "}");
                int calls = 0;
                string report = fromMemory.Train(parts.Train, parts.Validation, "{" + options + "}",
                                                 p => { calls++; return false; });
                Assert.That(calls, Is.GreaterThan(0));
                StringAssert.Contains("\"val_samples\":" + parts.Validation.Count, report);
                Assert.That(fromMemory.Predict(maps), Is.EqualTo(fromFiles.Predict(maps)));
                // Without val, "val_fraction" of the data is held out.
                StringAssert.Contains("\"train_samples\"",
                                      fromMemory.Train(all, null, "{\"epochs\": 1}"));
                AssertWdcError(Status.Config,
                               () => fromMemory.Train(all, null, "{\"synthetic\": 10}"));
                AssertWdcError(Status.InvalidArgument,
                               () => fromMemory.Train(parts.Test, null, "{}")); // 0 maps
                Assert.Throws<ArgumentNullException>(() => fromMemory.Train(null, null, "{}"));
            }
        }

        [Test]
        public void TrainErrors()
        {
            using (Model model = Model.Create(TinyConfig))
            {
                Assert.Throws<ArgumentNullException>(() => model.Train(null));
                AssertWdcError(Status.Config, () => model.Train("{\"epochs\": 1}"));  // no data
                AssertWdcError(Status.Config, () => model.Train("{\"synthetic\": 10, \"bogus\": 1}"));
                AssertWdcError(Status.IO,
                               () => model.Train("{\"data\": \"" + TempPath("none.npz") + "\"}"));
            }
        }

        [Test]
        [Timeout(120000)]
        public void CancelFromCallbackThrowsOperationCanceled()
        {
            using (Model model = Model.Create(TinyConfig))
            {
                byte[,,] maps = MakeMaps(2, 52, 52);
                float[,] before = model.Predict(maps);
                int calls = 0;
                var e = Assert.Throws<OperationCanceledException>(
                    () => model.Train(TinyTraining, p => ++calls >= 2));
                Assert.That(calls, Is.EqualTo(2));
                var inner = e.InnerException as WdcException;
                Assert.That(inner, Is.Not.Null);
                Assert.That(inner.Status, Is.EqualTo(Status.Cancelled));
                // No epoch completed: the model is as before the call, and usable.
                Assert.That(model.Predict(maps), Is.EqualTo(before));
            }
        }

        private sealed class CallbackFailure : Exception
        {
            public CallbackFailure() : base("thrown inside the progress callback")
            {
            }
        }

        [Test]
        [Timeout(120000)]
        public void ExceptionInCallbackCancelsAndIsRethrownAfterTheNativeCall()
        {
            using (Model model = Model.Create(TinyConfig))
            {
                byte[,,] maps = MakeMaps(2, 52, 52);
                float[,] before = model.Predict(maps);
                int calls = 0;
                var thrown = new CallbackFailure();
                var e = Assert.Throws<CallbackFailure>(() => model.Train(TinyTraining, p =>
                {
                    ++calls;
                    throw thrown;
                }));
                Assert.That(e, Is.SameAs(thrown));
                StringAssert.Contains("ExceptionInCallback", e.StackTrace);
                Assert.That(calls, Is.EqualTo(1));  // training stopped at once
                Assert.That(model.Predict(maps), Is.EqualTo(before));
                // The model is not left busy: it trains again.
                StringAssert.StartsWith("{", model.Train(TinyTraining, p => false));
            }
        }

        [Test]
        [Timeout(120000)]
        public void OtherCallsFailWithBusyWhileTraining()
        {
            using (Model model = Model.Create(TinyConfig))
            using (var inCallback = new ManualResetEvent(false))
            using (var release = new ManualResetEvent(false))
            {
                Exception trainError = null;
                var trainer = new Thread(() =>
                {
                    try
                    {
                        model.Train(TinyTraining, p =>
                        {
                            inCallback.Set();
                            release.WaitOne(60000);
                            return true;
                        });
                    }
                    catch (Exception e)
                    {
                        trainError = e;
                    }
                });
                trainer.Start();
                Assert.That(inCallback.WaitOne(60000), Is.True, "the callback was never called");
                try
                {
                    AssertWdcError(Status.Busy, () => model.Predict(MakeMaps(1, 52, 52)));
                    AssertWdcError(Status.Busy, () => model.Save(TempPath("busy.wdcm")));
                    AssertWdcError(Status.Busy, () => model.Train(TinyTraining));
                }
                finally
                {
                    release.Set();
                    trainer.Join();
                }
                Assert.That(trainError, Is.InstanceOf<OperationCanceledException>());
            }
        }

        [Test]
        [Timeout(120000)]
        public void DisposeDuringTrainingWaitsForTheNativeCall()
        {
            Model model = Model.Create(TinyConfig);
            Assert.Throws<OperationCanceledException>(() => model.Train(TinyTraining, p =>
            {
                // The SafeHandle is in use by wdc_train: the model is freed when it returns.
                model.Dispose();
                return true;
            }));
            Assert.Throws<ObjectDisposedException>(() => { var l = model.Labels; });
            model.Dispose();
        }
    }
}
