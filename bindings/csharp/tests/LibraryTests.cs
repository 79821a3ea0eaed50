// NUnit 2.6 tests of Wdc.Library's functions that need no model: map pictures and config files
// (ctest -L csharp, with ModelTests.cs and DatasetTests.cs; same environment).
using System;
using System.IO;
using System.Linq;
using System.Text;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class LibraryTests : ModelFixture
    {
        public LibraryTests() : base("nunit-library")
        {
        }

        private static WdcException AssertWdcError(Status status, TestDelegate call)
        {
            return ModelTests.AssertWdcError(status, call);
        }

        // ---- pictures -----------------------------------------------------------------------------

        /// <summary>The width and height in a PNG file's IHDR chunk, after checking the
        /// signature.</summary>
        private static int[] PngSize(string path)
        {
            byte[] png = File.ReadAllBytes(path);
            Assert.That(png.Take(8).ToArray(),
                        Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
            Assert.That(Encoding.ASCII.GetString(png, 12, 4), Is.EqualTo("IHDR"));
            Func<int, int> bigEndian = at => (png[at] << 24) | (png[at + 1] << 16) | (png[at + 2] << 8) | png[at + 3];
            return new[] { bigEndian(16), bigEndian(20) };
        }

        [Test]
        public void WriteMapPng()
        {
            var map = new byte[13, 9];
            byte[,,] maps = ModelTests.MakeMaps(1, 13, 9);
            Buffer.BlockCopy(maps, 0, map, 0, map.Length);
            string plain = TempPath("map.png");
            Library.WriteMapPng(plain, map);
            Assert.That(PngSize(plain), Is.EqualTo(new[] { 9 * 8, 13 * 8 }));  // default scale 8

            string blended = TempPath("map cam \u00e9.png");
            Library.WriteMapPng(blended, map, _model.Cam(map, 0), "{\"scale\": 3, \"alpha\": 1}");
            Assert.That(PngSize(blended), Is.EqualTo(new[] { 9 * 3, 13 * 3 }));
            string unblended = TempPath("map-scale3.png");
            Library.WriteMapPng(unblended, map, null, "{\"scale\": 3}");
            Assert.That(File.ReadAllBytes(blended), Is.Not.EqualTo(File.ReadAllBytes(unblended)));
        }

        [Test]
        public void WriteMapPngErrors()
        {
            var map = new byte[4, 5];
            string path = TempPath("bad.png");
            Assert.Throws<ArgumentException>(() => Library.WriteMapPng(path, map, new float[5, 4]));
            Assert.Throws<ArgumentNullException>(() => Library.WriteMapPng(null, map));
            Assert.Throws<ArgumentNullException>(() => Library.WriteMapPng(path, null));
            AssertWdcError(Status.Config, () => Library.WriteMapPng(path, map, null, "{\"scale\": 0}"));
            AssertWdcError(Status.Config, () => Library.WriteMapPng(path, map, null, "{\"scale\": 65}"));
            AssertWdcError(Status.Config, () => Library.WriteMapPng(path, map, null, "{\"alpha\": 2}"));
            AssertWdcError(Status.Config, () => Library.WriteMapPng(path, map, null, "{\"bogus\": 1}"));
            AssertWdcError(Status.IO, () => Library.WriteMapPng(TempPath("no-such-dir/m.png"), map));
            AssertWdcError(Status.InvalidArgument, () => Library.WriteMapPng(path, new byte[0, 5]));
            AssertWdcError(Status.InvalidArgument, () => Library.WriteMapPng("", map));
        }

        // ---- config files -------------------------------------------------------------------------

        [Test]
        public void ReadConfig()
        {
            string path = TempPath("config \u00e9.json");
            File.WriteAllText(path,
                "{\"_comment\": \"ignored\", \"description\": \"ignored too\",\n" +
                " \"network\": " + ModelTests.TinyConfig + ",\n" +
                " \"train\": {\"synthetic\": 20, \"epochs\": 1}}", new UTF8Encoding(false));
            ConfigFile config = Library.ReadConfig(path);
            Assert.That(Json.Canonical(Json.Parse(config.NetworkJson)),
                        Is.EqualTo(Json.Canonical(Json.Parse(ModelTests.TinyConfig))));
            Assert.That(Json.Canonical(Json.Parse(config.TrainJson)),
                        Is.EqualTo(Json.Canonical(Json.Parse("{\"synthetic\": 20, \"epochs\": 1}"))));
            using (Model model = Model.Create(config.NetworkJson))
                Assert.That(Json.Object(model.Info)["parameters"],
                            Is.EqualTo(Json.Object(_model.Info)["parameters"]));

            File.WriteAllText(path, "{\"network\": {}}");
            Assert.That(Library.ReadConfig(path).TrainJson, Is.EqualTo("{}"));
            File.WriteAllText(path, "{\"train\": {\"synthetic\": 5}}");
            Assert.That(Library.ReadConfig(path).NetworkJson, Is.EqualTo(""));
        }

        [Test]
        public void ReadConfigErrors()
        {
            string path = TempPath("bad-config.json");
            AssertWdcError(Status.IO, () => Library.ReadConfig(TempPath("missing.json")));
            File.WriteAllText(path, "{\"network\": ");
            AssertWdcError(Status.Config, () => Library.ReadConfig(path));
            File.WriteAllText(path, "[1, 2]");
            AssertWdcError(Status.Config, () => Library.ReadConfig(path));
            File.WriteAllText(path, "{\"networks\": {}}");
            AssertWdcError(Status.Config, () => Library.ReadConfig(path));
            File.WriteAllText(path, "{\"train\": 3}");
            AssertWdcError(Status.Config, () => Library.ReadConfig(path));
            AssertWdcError(Status.InvalidArgument, () => Library.ReadConfig(""));
            Assert.Throws<ArgumentNullException>(() => Library.ReadConfig(null));
        }
    }
}
