// End-to-end test of the `wdc` binary: it runs the real command (WDC_CLI_PATH) as a child
// process with stdout and stderr captured apart, on a tiny synthetic data set and a tiny
// network: synth -> train (1 epoch, then --resume to 2) -> eval -> predict -> cam -> info, and
// the error paths (one "wdc: error:" line on stderr, nothing on stdout, non-zero status).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/wafer_file.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct Result {
  int status = -1;  // exit status, or 128 + signal
  std::string out, err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// Where every case writes; removed at the end unless WDC_KEEP_TEST_FILES is set.
fs::path g_dir;
bool g_trained = false;
json g_train_report;

std::string file(const std::string& name) { return (g_dir / name).string(); }

// Starts `wdc args...` with stdin from /dev/null and stdout/stderr into the given files, and
// `env` ("NAME=VALUE" each) added to its environment.
pid_t spawn_wdc(const std::vector<std::string>& args, const fs::path& out_path,
                const fs::path& err_path, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv_strings{WDC_CLI_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Whatever the test runner's disposition, the child sees Ctrl-C as a terminal would send it.
    ::signal(SIGINT, SIG_DFL);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (const std::string& entry : env) {
      const size_t eq = entry.find('=');
      ::setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  EXPECT_GT(pid, 0);
  return pid;
}

int exit_status(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Result run_wdc(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  static int counter = 0;
  const fs::path out_path = g_dir / ("stdout." + std::to_string(counter));
  const fs::path err_path = g_dir / ("stderr." + std::to_string(counter++));
  const pid_t pid = spawn_wdc(args, out_path, err_path, env);
  Result r;
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = exit_status(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  return r;
}

std::string describe(const Result& r) {
  return "status " + std::to_string(r.status) + "\n--- stdout:\n" + r.out.substr(0, 2000) +
         "\n--- stderr:\n" + r.err.substr(0, 2000);
}

json parse_stdout(const Result& r) {
  try {
    return json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON: " << e.what() << "\n" << describe(r);
    return json();
  }
}

// The error contract: non-zero status, nothing on stdout, exactly one line "wdc: error: ..."
// on stderr that contains `needle`.
void expect_error(const std::vector<std::string>& args, int status, const std::string& needle) {
  const Result r = run_wdc(args);
  std::string cmd;
  for (const auto& a : args) cmd += " " + a;
  SCOPED_TRACE("wdc" + cmd);
  EXPECT_EQ(r.status, status) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_EQ(r.err.rfind("wdc: error: ", 0), 0u) << describe(r);
  EXPECT_EQ(count_lines(r.err), 1) << describe(r);
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "'\n"
                                                   << describe(r);
}

// Width and height from a PNG's IHDR chunk.
std::pair<uint32_t, uint32_t> png_size(const std::string& path) {
  const std::string bytes = slurp(path);
  if (bytes.size() < 24 || bytes.compare(1, 3, "PNG") != 0 || bytes.compare(12, 4, "IHDR") != 0)
    return {0, 0};
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

constexpr const char* kTinyConfig = R"({
  "network": {"blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}]},
  "train": {"batch_size": 16, "lr": 0.05, "seed": 3},
  "comment": "a tiny network so that the test trains in seconds"
})";

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_dir = fs::temp_directory_path() / ("wdc_cli_test_" + std::to_string(::getpid()));
    fs::create_directories(g_dir);
    std::ofstream(file("tiny.json")) << kTinyConfig;
    std::ofstream(file("broken.json")) << "{\"network\": {\"blocks\": [}";
    std::ofstream(file("typo.json")) << R"({"netwrok": {}})";
    std::ofstream(file("not_a_model.wdcm")) << "this is not a model file\n";
    std::ofstream(file("not_an_npz.npz")) << "this is not an npz file\n";

    const Result train =
        run_wdc({"synth", "--out", file("train.npz"), "--count", "96", "--seed", "1"});
    const Result test =
        run_wdc({"synth", "--out", file("test.npz"), "--count", "24", "--seed", "2"});
    if (train.status != 0 || test.status != 0) return;
    const Result fit = run_wdc({"train", "--config", file("tiny.json"), "--data", file("train.npz"),
                                "--val", file("test.npz"), "--out", file("model.wdcm"), "--epochs",
                                "1", "--threads", "2", "--json"});
    if (fit.status == 0) {
      g_trained = true;
      g_train_report = json::parse(fit.out, nullptr, false);
    } else {
      std::fprintf(stderr, "training failed:\n%s\n", describe(fit).c_str());
    }
  }
  static void TearDownTestSuite() {
    if (std::getenv("WDC_KEEP_TEST_FILES") == nullptr) {
      std::error_code ec;
      fs::remove_all(g_dir, ec);
    } else {
      std::fprintf(stderr, "test files kept in %s\n", g_dir.c_str());
    }
  }
  void SetUp() override {
    if (!g_trained && std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())
                              .rfind("Synth", 0) != 0)
      GTEST_SKIP() << "no model: see the training failure above";
  }
};

}  // namespace

// ---- the happy path ------------------------------------------------------------------------

TEST_F(CliTest, SynthWritesTheRequestedMapsReproducibly) {
  const Result r =
      run_wdc({"synth", "--out", file("s1.npz"), "--count", "40", "--seed", "7", "--json"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const json summary = parse_stdout(r);
  EXPECT_EQ(summary["count"], 40);
  EXPECT_EQ(summary["height"], 52);
  EXPECT_NE(r.err.find("wrote 40 maps"), std::string::npos) << r.err;

  const wdc::data::WaferSet a = wdc::data::load_wafer_npz(file("s1.npz"));
  EXPECT_EQ(a.count, 40);
  EXPECT_EQ(a.height, 52);
  EXPECT_EQ(a.width, 52);
  ASSERT_EQ(run_wdc({"synth", "--out", file("s2.npz"), "--count", "40", "--seed", "7"}).status, 0);
  const wdc::data::WaferSet b = wdc::data::load_wafer_npz(file("s2.npz"));
  EXPECT_EQ(a.maps, b.maps);
  EXPECT_EQ(a.labels, b.labels);
}

TEST_F(CliTest, TrainWritesTheModelTheCheckpointAndAReport) {
  EXPECT_TRUE(fs::exists(file("model.wdcm")));
  EXPECT_TRUE(fs::exists(file("model.wdcm.ckpt")));
  ASSERT_TRUE(g_train_report.is_object()) << g_train_report.dump();
  EXPECT_EQ(g_train_report["history"].size(), 1u);
  EXPECT_EQ(g_train_report["best_epoch"], 1);
  EXPECT_EQ(g_train_report["model"], file("model.wdcm"));
  EXPECT_EQ(g_train_report["train_samples"], 96);
  EXPECT_EQ(g_train_report["val_samples"], 24);
}

TEST_F(CliTest, TrainResumesFromTheCheckpointAndPrintsEpochLines) {
  // Copy the first run's checkpoint so that other cases keep their one-epoch model.
  fs::copy_file(file("model.wdcm.ckpt"), file("resumed.wdcm.ckpt"),
                fs::copy_options::overwrite_existing);
  const Result r = run_wdc({"train", "--config", file("tiny.json"), "--data", file("train.npz"),
                            "--val", file("test.npz"), "--out", file("resumed.wdcm"), "--epochs",
                            "2", "--resume", "--threads", "2"});
  ASSERT_EQ(r.status, 0) << describe(r);
  // stderr is not a terminal: plain per-epoch lines, no bar; only epoch 2 is trained.
  EXPECT_NE(r.err.find("epoch 2/2"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("epoch 1/2"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  // The human report: a table with both epochs, then the summary.
  EXPECT_NE(r.out.find("epoch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("best epoch"), std::string::npos) << r.out;

  const Result info = run_wdc({"info", "--model", file("resumed.wdcm"), "--json"});
  ASSERT_EQ(info.status, 0) << describe(info);
  EXPECT_EQ(parse_stdout(info)["training"]["history"].size(), 2u) << info.out;
}

TEST_F(CliTest, CtrlCStopsTrainingAtTheNextBatchAndResumeContinues) {
  const fs::path out = g_dir / "interrupt.out", err = g_dir / "interrupt.err";
  const std::vector<std::string> args{"train",
                                      "--config",
                                      file("tiny.json"),
                                      "--data",
                                      file("train.npz"),
                                      "--val",
                                      file("test.npz"),
                                      "--out",
                                      file("interrupted.wdcm"),
                                      "--threads",
                                      "2"};
  std::vector<std::string> long_run = args;
  for (const char* a : {"--epochs", "500"}) long_run.push_back(a);
  const pid_t pid = spawn_wdc(long_run, out, err);
  // Interrupt once the first epoch (and so the first checkpoint) is done.
  int status = 0;
  bool exited = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  while (slurp(err).find("epoch 1/500") == std::string::npos) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL() << "no epoch line within 3 minutes:\n" << slurp(err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(exited) << "training ended by itself:\n" << slurp(err);
  ::kill(pid, SIGINT);
  ::waitpid(pid, &status, 0);
  const std::string messages = slurp(err);
  EXPECT_EQ(exit_status(status), 130) << messages;
  EXPECT_EQ(slurp(out), "");
  EXPECT_NE(messages.find("wdc: stopping after this batch"), std::string::npos) << messages;
  EXPECT_NE(messages.find("wdc: error: training interrupted; the last completed epoch is in " +
                          file("interrupted.wdcm.ckpt") + ": continue with --resume\n"),
            std::string::npos)
      << messages;
  EXPECT_FALSE(fs::exists(file("interrupted.wdcm")));
  ASSERT_TRUE(fs::exists(file("interrupted.wdcm.ckpt")));

  // The epochs done so far: the last "epoch k/500" line.
  int done = 0;
  std::istringstream lines(messages);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("epoch ", 0) == 0) done = std::stoi(line.substr(6));
  ASSERT_GE(done, 1);
  std::vector<std::string> resume = args;
  for (const std::string& a : {std::string("--resume"), std::string("--epochs"),
                               std::to_string(done + 1), std::string("--json")})
    resume.push_back(a);
  const Result r = run_wdc(resume);
  ASSERT_EQ(r.status, 0) << describe(r);
  const std::string next = "epoch " + std::to_string(done + 1) + "/" + std::to_string(done + 1);
  EXPECT_NE(r.err.find(next), std::string::npos) << r.err;
  EXPECT_EQ(parse_stdout(r)["history"].size(), static_cast<size_t>(done + 1)) << r.out;
  EXPECT_TRUE(fs::exists(file("interrupted.wdcm")));
}

TEST_F(CliTest, EvalJsonHasTheDocumentedSchema) {
  const Result r = run_wdc({"eval", "--model", file("model.wdcm"), "--data", file("test.npz"),
                            "--json", "--threads", "1"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const json e = parse_stdout(r);
  EXPECT_EQ(e["samples"], 24);
  for (const char* key : {"exact_match", "hamming", "mean_f1", "min_f1"}) {
    ASSERT_TRUE(e.contains(key)) << key;
    EXPECT_GE(e[key].get<double>(), 0.0) << key;
    EXPECT_LE(e[key].get<double>(), 1.0) << key;
  }
  ASSERT_EQ(e["labels"].size(), 8u);
  EXPECT_EQ(e["labels"][0]["name"], "Center");
  for (const char* key : {"precision", "recall", "f1", "support"})
    EXPECT_TRUE(e["labels"][0].contains(key)) << key;
  ASSERT_FALSE(e["types"].empty());
  int64_t counted = 0;
  for (const auto& t : e["types"]) {
    for (const char* key : {"id", "name", "count", "correct", "accuracy"})
      EXPECT_TRUE(t.contains(key)) << key;
    counted += t["count"].get<int64_t>();
  }
  EXPECT_EQ(counted, 24);
}

TEST_F(CliTest, EvalTablesForPeople) {
  const Result r = run_wdc({"eval", "--model", file("model.wdcm"), "--data", file("test.npz")});
  ASSERT_EQ(r.status, 0) << describe(r);
  for (const char* text : {"exact match", "mean F1", "precision", "Edge_Ring", "accuracy", "C1"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
}

TEST_F(CliTest, PredictJsonMatchesTheProbabilitiesAndThresholds) {
  const Result info = run_wdc({"info", "--model", file("model.wdcm"), "--json"});
  ASSERT_EQ(info.status, 0) << describe(info);
  const json model = parse_stdout(info);
  const auto names = model["labels"].get<std::vector<std::string>>();
  const auto thresholds = model["thresholds"].get<std::vector<double>>();
  ASSERT_EQ(names.size(), 8u);
  ASSERT_EQ(thresholds.size(), 8u);

  const Result r =
      run_wdc({"predict", "--model", file("model.wdcm"), "--data", file("test.npz"), "--json"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const json p = parse_stdout(r);
  ASSERT_TRUE(p.is_array());
  ASSERT_EQ(p.size(), 24u);
  for (size_t i = 0; i < p.size(); ++i) {
    const json& m = p[i];
    EXPECT_EQ(m["index"], i);
    ASSERT_EQ(m["probabilities"].size(), 8u);
    std::vector<std::string> want;
    uint8_t vec[8];
    for (size_t k = 0; k < 8; ++k) {
      const double prob = m["probabilities"][k].get<double>();
      EXPECT_GE(prob, 0.0);
      EXPECT_LE(prob, 1.0);
      vec[k] = prob >= thresholds[k];
      if (vec[k]) want.push_back(names[k]);
    }
    EXPECT_EQ(m["labels"].get<std::vector<std::string>>(), want) << m.dump();
    const int type = wdc::data::pattern_type_of(vec);
    if (type < 0) {
      EXPECT_TRUE(m["type"]["id"].is_null()) << m.dump();
      EXPECT_EQ(m["type"]["name"], "unknown");
    } else {
      EXPECT_EQ(m["type"]["id"], wdc::data::kPatternTypes[type].id) << m.dump();
      EXPECT_EQ(m["type"]["name"], wdc::data::kPatternTypes[type].name) << m.dump();
    }
  }
}

TEST_F(CliTest, PredictTableForPeople) {
  const Result r = run_wdc({"predict", "--model", file("model.wdcm"), "--data", file("test.npz")});
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(count_lines(r.out), 25) << r.out;  // header + 24 maps
  EXPECT_NE(r.out.find("NF"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("24 maps"), std::string::npos) << r.err;

  const Result limited = run_wdc({"predict", "--model", file("model.wdcm"), "--data",
                                  file("test.npz"), "--limit", "5", "--json"});
  ASSERT_EQ(limited.status, 0) << describe(limited);
  EXPECT_EQ(parse_stdout(limited).size(), 5u);
}

TEST_F(CliTest, CamWritesAPicturePerLabelSpelling) {
  for (const std::string label : {"Loc", "loc", "L", "4", "Edge_Ring"}) {
    const std::string out = file("cam_" + label + ".png");
    const Result r = run_wdc({"cam", "--model", file("model.wdcm"), "--data", file("test.npz"),
                              "--index", "3", "--label", label, "--out", out});
    ASSERT_EQ(r.status, 0) << label << "\n" << describe(r);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(png_size(out), (std::pair<uint32_t, uint32_t>{52 * 8, 52 * 8})) << label;
  }
  const Result r =
      run_wdc({"cam", "--model", file("model.wdcm"), "--data", file("test.npz"), "--index", "0",
               "--label", "Center", "--out", file("small.png"), "--scale", "2"});
  ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_EQ(png_size(file("small.png")), (std::pair<uint32_t, uint32_t>{104, 104}));
}

TEST_F(CliTest, InfoForPeopleAndPrograms) {
  const Result r = run_wdc({"info", "--model", file("model.wdcm")});
  ASSERT_EQ(r.status, 0) << describe(r);
  for (const char* text : {"parameters", "blocks", "Scratch", "threshold", "trained"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;

  const Result j = run_wdc({"info", "--model", file("model.wdcm"), "--json"});
  ASSERT_EQ(j.status, 0) << describe(j);
  const json info = parse_stdout(j);
  EXPECT_EQ(info["config"]["blocks"].size(), 2u);
  EXPECT_EQ(info["labels"].size(), 8u);
}

TEST_F(CliTest, WithoutModelTheBuiltInModelIsUsed) {
  // The library's model was trained on real maps; the 4-block DCNv2 network, not the test's.
  const Result i = run_wdc({"info", "--json"});
  ASSERT_EQ(i.status, 0) << describe(i);
  const json info = parse_stdout(i);
  EXPECT_EQ(info["config"]["blocks"].size(), 4u);
  EXPECT_GE(info["training"]["best_epoch"].get<int>(), 1);

  const Result e = run_wdc({"eval", "--data", file("test.npz")});
  ASSERT_EQ(e.status, 0) << describe(e);
  EXPECT_NE(e.out.find("built-in mixedwm38-dcn"), std::string::npos) << e.out;
  const Result p = run_wdc({"predict", "--data", file("test.npz"), "--limit", "2", "--json"});
  ASSERT_EQ(p.status, 0) << describe(p);
  EXPECT_EQ(parse_stdout(p).size(), 2u);
}

// --precision reaches the library: info says which precision is in use, "auto" always loads,
// and bf16 either evaluates like fp32 (within bfloat16's rounding) or is refused by name.
TEST_F(CliTest, PrecisionOptionIsTheModelsInferencePrecision) {
  const Result fp32 = run_wdc({"info", "--json"});
  ASSERT_EQ(fp32.status, 0) << describe(fp32);
  EXPECT_EQ(parse_stdout(fp32)["precision"], "fp32");
  const Result automatic = run_wdc({"info", "--json", "--precision", "auto"});
  ASSERT_EQ(automatic.status, 0) << describe(automatic);
  const bool native = parse_stdout(automatic)["precision"] == "bf16";
  const Result people = run_wdc({"info", "--precision", "auto"});
  EXPECT_NE(people.out.find(native ? "bf16" : "fp32"), std::string::npos) << people.out;

  const Result e32 = run_wdc({"eval", "--data", file("test.npz"), "--json"});
  const Result e16 = run_wdc({"eval", "--data", file("test.npz"), "--json", "--precision", "bf16"});
  ASSERT_EQ(e32.status, 0) << describe(e32);
  if (!native) {
    EXPECT_NE(e16.status, 0);
    EXPECT_NE(e16.err.find("bf16"), std::string::npos) << e16.err;
  } else {
    ASSERT_EQ(e16.status, 0) << describe(e16);
    EXPECT_NEAR(parse_stdout(e16)["hamming"].get<double>(),
                parse_stdout(e32)["hamming"].get<double>(), 0.02);
  }
  const Result bad = run_wdc({"info", "--precision", "fp16"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("precision"), std::string::npos) << bad.err;
}

TEST_F(CliTest, ReportWritesOneSelfContainedPage) {
  const Result r = run_wdc({"report", "--model", file("model.wdcm"), "--data", file("test.npz"),
                            "--out", file("report"), "--json"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const json j = parse_stdout(r);
  std::ifstream in(file("report/index.html"), std::ios::binary);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.size(), j["bytes"].get<size_t>());
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_GT(j["pictures"].get<int>(), 0);
  expect_error({"report", "--model", file("model.wdcm"), "--data", file("test.npz"), "--out",
                file("model.wdcm")}, 1, "not a folder");
}

TEST_F(CliTest, SplitWritesThreeFilesThatTogetherHoldEveryMap) {
  fs::create_directories(file("split"));
  ASSERT_EQ(run_wdc({"synth", "--out", file("to-split.npz"), "--count", "400"}).status, 0);
  const Result r = run_wdc({"split", "--data", file("to-split.npz"), "--out", file("split"),
                            "--val", "0.2", "--test", "0.2", "--seed", "5", "--json"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const json parts = parse_stdout(r)["parts"];
  const auto all = wdc::data::load_wafer_npz(file("to-split.npz"));
  int64_t total = 0;
  for (const char* name : {"train", "val", "test"}) {
    const auto part = wdc::data::load_wafer_npz(file("split/") + name + ".npz");
    EXPECT_EQ(part.count, parts[name]["count"].get<int64_t>()) << name;
    total += part.count;
  }
  EXPECT_EQ(total, all.count);
  EXPECT_GT(parts["val"]["count"].get<int64_t>(), 0);
  expect_error({"split", "--data", file("to-split.npz"), "--out", file("no-such-dir")}, 2, "");
}

TEST_F(CliTest, CrossValidateHoldsOutEveryMapOnceAndSummarisesTheFolds) {
  const Result r = run_wdc({"cross-validate", "--config", file("tiny.json"), "--data",
                            file("train.npz"), "--val", file("test.npz"), "--folds", "2",
                            "--epochs", "1", "--threads", "2", "--json"});
  ASSERT_EQ(r.status, 0) << describe(r);
  const json report = parse_stdout(r);
  EXPECT_EQ(report["folds"], 2);
  EXPECT_EQ(report["samples"], 120);  // train.npz and test.npz pooled
  ASSERT_EQ(report["assignment"].size(), 120u);
  int64_t in_fold[3] = {0, 0, 0};
  for (const json& fold : report["assignment"]) ++in_fold[fold.get<int>()];
  EXPECT_EQ(in_fold[0], 0);
  EXPECT_EQ(in_fold[1], 60);
  EXPECT_EQ(in_fold[2], 60);
  ASSERT_EQ(report["fold_results"].size(), 2u);
  EXPECT_EQ(report["fold_results"][1]["held_out_samples"], 60);
  EXPECT_EQ(report["out_of_fold"]["samples"], 120);
  const json& first = report["summary"][0];
  EXPECT_EQ(first["metric"], "exact_match");
  const double a = report["fold_results"][0]["metrics"]["exact_match"];
  const double b = report["fold_results"][1]["metrics"]["exact_match"];
  EXPECT_DOUBLE_EQ(first["mean"].get<double>(), (a + b) / 2);
  EXPECT_NEAR(first["std"].get<double>(), std::abs(a - b) / std::sqrt(2.0), 1e-12);
  EXPECT_NE(r.err.find("fold 2/2  epoch 1/1"), std::string::npos) << r.err;

  const Result table = run_wdc({"cross-validate", "--config", file("tiny.json"), "--data",
                                file("test.npz"), "--folds", "3", "--epochs", "1"});
  ASSERT_EQ(table.status, 0) << describe(table);
  EXPECT_NE(table.out.find("fold 3"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("out of fold, 24 maps"), std::string::npos) << table.out;
  expect_error({"cross-validate", "--data", file("test.npz"), "--folds", "1"}, 2, "");
  expect_error({"cross-validate", "--data", file("test.npz"), "--folds", "30"}, 1, "cannot make");
}

// With --checkpoint every finished fold is kept; --resume takes them instead of training again.
TEST_F(CliTest, CrossValidateResumesFromItsFoldFiles) {
  const std::vector<std::string> args{
      "cross-validate", "--config", file("tiny.json"), "--data",   file("test.npz"), "--folds", "2",
      "--epochs",       "1",        "--checkpoint",    file("cv"), "--json"};
  const Result first = run_wdc(args);
  ASSERT_EQ(first.status, 0) << describe(first);
  EXPECT_TRUE(std::filesystem::exists(file("cv.fold1.json")));
  EXPECT_TRUE(std::filesystem::exists(file("cv.fold2.json")));
  EXPECT_FALSE(std::filesystem::exists(file("cv.fold2.ckpt")));  // the fold file replaces it

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  const Result again = run_wdc(resume);
  ASSERT_EQ(again.status, 0) << describe(again);
  EXPECT_EQ(again.err.find("epoch"), std::string::npos) << again.err;  // nothing trained
  const json a = parse_stdout(first), b = parse_stdout(again);
  EXPECT_EQ(b["fold_results"][0]["from_file"], true);
  EXPECT_EQ(b["fold_results"][1]["from_file"], true);
  EXPECT_EQ(a["fold_results"][0]["from_file"], false);
  EXPECT_EQ(a["out_of_fold"], b["out_of_fold"]);

  // Other folds, another run's files: refused, naming the file.
  std::vector<std::string> other = resume;
  other[6] = "3";
  expect_error(other, 1, "written by another cross-validation");
  expect_error({"cross-validate", "--data", file("test.npz"), "--resume"}, 1,
               "--resume needs --checkpoint");
}

// A fab's own data: one class per map, maps of three sizes in a ragged file, class names from
// the file. Every command takes it; the model takes the file's names and is single-label.
TEST_F(CliTest, RaggedSingleLabelFileFlowsThroughEveryCommand) {
  wdc::data::WaferSet set;
  set.label_names = {"Clean", "Full"};
  set.single_label = true;
  std::vector<int64_t> shapes;
  const int64_t sides[3][2] = {{20, 24}, {31, 31}, {40, 26}};
  for (int i = 0; i < 60; ++i) {
    const int64_t h = sides[i % 3][0], w = sides[i % 3][1];
    // "Full": every other die failed; "Clean": every die passed.
    for (int64_t k = 0; k < h * w; ++k) set.maps.push_back(i % 2 && k % 2 ? 2 : 1);
    shapes.insert(shapes.end(), {h, w});
    set.labels.insert(set.labels.end(),
                      {static_cast<uint8_t>(i % 2 == 0), static_cast<uint8_t>(i % 2)});
  }
  set.count = 60;
  set.set_shapes(shapes, "test set");
  wdc::data::save_wafer_npz(file("fab.npz"), set);

  const Result fit = run_wdc({"train", "--data", file("fab.npz"), "--out", file("fab.wdcm"),
                              "--config", file("tiny.json"), "--epochs", "3", "--json"});
  ASSERT_EQ(fit.status, 0) << describe(fit);
  const json info = parse_stdout(run_wdc({"info", "--model", file("fab.wdcm"), "--json"}));
  EXPECT_EQ(info["labels"], json({"Clean", "Full"}));
  EXPECT_EQ(info["config"]["task"], "single_label");

  const Result eval =
      run_wdc({"eval", "--model", file("fab.wdcm"), "--data", file("fab.npz"), "--json"});
  ASSERT_EQ(eval.status, 0) << describe(eval);
  const json metrics = parse_stdout(eval);
  for (const char* key : {"samples", "accuracy", "macro_f1", "labels", "confusion"})
    EXPECT_TRUE(metrics.contains(key)) << key;
  EXPECT_EQ(metrics["samples"], 60);
  int64_t counted = 0;
  for (const auto& row : metrics["confusion"])
    for (const auto& n : row) counted += n.get<int64_t>();
  EXPECT_EQ(counted, 60);
  const Result table = run_wdc({"eval", "--model", file("fab.wdcm"), "--data", file("fab.npz")});
  EXPECT_NE(table.out.find("macro F1"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("confusion"), std::string::npos) << table.out;

  const Result predict =
      run_wdc({"predict", "--model", file("fab.wdcm"), "--data", file("fab.npz"), "--json"});
  ASSERT_EQ(predict.status, 0) << describe(predict);
  const json decided = parse_stdout(predict);
  ASSERT_EQ(decided.size(), 60u);
  for (const json& d : decided) {
    const double sum = d["probabilities"][0].get<double>() + d["probabilities"][1].get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-4);
    EXPECT_EQ(d["labels"].size(), 1u);  // one class per map
  }

  // Map 2 is 40 x 26: its CAM picture is at its own size.
  const Result cam =
      run_wdc({"cam", "--model", file("fab.wdcm"), "--data", file("fab.npz"), "--index", "2",
               "--label", "Full", "--out", file("fab.png"), "--scale", "2"});
  ASSERT_EQ(cam.status, 0) << describe(cam);
  EXPECT_EQ(png_size(file("fab.png")), (std::pair<uint32_t, uint32_t>{26 * 2, 40 * 2}));

  fs::create_directories(file("fab-split"));
  ASSERT_EQ(run_wdc({"split", "--data", file("fab.npz"), "--out", file("fab-split"), "--val", "0.2",
                     "--test", "0.2"})
                .status,
            0);
  const auto val = wdc::data::load_wafer_npz(file("fab-split/val.npz"));
  EXPECT_EQ(val.count, 12);  // 6 of each class
  EXPECT_EQ(val.names(), set.names());
  int64_t full = 0;
  for (int64_t i = 0; i < val.count; ++i) full += val.class_of(i);
  EXPECT_EQ(full, 6);

  const Result report = run_wdc({"report", "--model", file("fab.wdcm"), "--data", file("fab.npz"),
                                 "--out", file("fab-report")});
  ASSERT_EQ(report.status, 0) << describe(report);
  EXPECT_NE(report.out.find("accuracy"), std::string::npos) << report.out;

  // Fine-tuning from the model just trained, its network taken from the init model.
  const Result tuned = run_wdc({"train", "--data", file("fab.npz"), "--init", file("fab.wdcm"),
                                "--out", file("fab-tuned.wdcm"), "--epochs", "1"});
  ASSERT_EQ(tuned.status, 0) << describe(tuned);
  // A MixedWM38 model refuses WM-811K-like classes with a message that names both.
  const Result other = run_wdc({"eval", "--model", file("model.wdcm"), "--data", file("fab.npz")});
  EXPECT_NE(other.status, 0);
  EXPECT_NE(other.err.find("Clean, Full"), std::string::npos) << other.err;
}

TEST_F(CliTest, EmbedWritesAnIndexThatSimilarSearches) {
  ASSERT_EQ(run_wdc({"synth", "--out", file("library.npz"), "--count", "40", "--seed", "3"}).status,
            0);
  const Result embed = run_wdc({"embed", "--data", file("library.npz"), "--out", file("idx.npz")});
  ASSERT_EQ(embed.status, 0) << describe(embed);
  const auto arrays = wdc::data::read_npz(file("idx.npz"));
  ASSERT_EQ(arrays.count("embeddings"), 1u);
  EXPECT_EQ(arrays.at("embeddings").shape(), (std::vector<int64_t>{40, 128}));
  const std::vector<float> e = arrays.at("embeddings").to<float>();
  double norm = 0;
  for (int k = 0; k < 128; ++k) norm += static_cast<double>(e[k]) * e[k];
  EXPECT_NEAR(norm, 1.0, 1e-4);

  // Every library map finds itself first; its labels come with it.
  const Result similar = run_wdc(
      {"similar", "--index", file("idx.npz"), "--data", file("library.npz"), "-k", "3", "--json"});
  ASSERT_EQ(similar.status, 0) << describe(similar);
  const json found = parse_stdout(similar);
  ASSERT_EQ(found.size(), 40u);
  for (const json& q : found) {
    ASSERT_EQ(q["neighbours"].size(), 3u);
    EXPECT_GT(q["neighbours"][0]["similarity"].get<double>(), 0.999);
    EXPECT_EQ(q["neighbours"][0]["labels"], q["labels"]);
    EXPECT_GE(q["neighbours"][0]["similarity"].get<double>(),
              q["neighbours"][2]["similarity"].get<double>());
  }
  const Result table = run_wdc(
      {"similar", "--index", file("idx.npz"), "--data", file("library.npz"), "--limit", "2"});
  ASSERT_EQ(table.status, 0) << describe(table);
  EXPECT_NE(table.out.find("similarity"), std::string::npos) << table.out;
  EXPECT_NE(table.err.find("carry the map's own labels"), std::string::npos) << table.err;

  // Another model's index is refused; a data file is not an index.
  const Result other = run_wdc({"similar", "--model", file("model.wdcm"), "--index",
                                file("idx.npz"), "--data", file("library.npz")});
  EXPECT_NE(other.status, 0);
  EXPECT_NE(other.err.find("another model"), std::string::npos) << other.err;
  const Result not_index =
      run_wdc({"similar", "--index", file("library.npz"), "--data", file("library.npz")});
  EXPECT_NE(not_index.status, 0);
  EXPECT_NE(not_index.err.find("not a map index"), std::string::npos) << not_index.err;
}

// Novelty: every predicted map carries it; training calibrated the threshold on its validation
// file (test.npz here), so at the default 1% none of those maps is above it; fit-novelty
// recalibrates to flag a quarter; --novelty-threshold replaces the threshold, also the built-in
// model's (it has statistics).
TEST_F(CliTest, PredictShowsNoveltyAndFitNoveltyRecalibrates) {
  const Result predicted =
      run_wdc({"predict", "--model", file("model.wdcm"), "--data", file("test.npz"), "--json"});
  ASSERT_EQ(predicted.status, 0) << describe(predicted);
  const json maps = parse_stdout(predicted);
  ASSERT_EQ(maps.size(), 24u);
  for (const json& m : maps) {
    ASSERT_TRUE(m["novelty"].is_number()) << m.dump();
    EXPECT_FALSE(m["unknown"].get<bool>()) << m.dump();
  }
  EXPECT_NE(predicted.err.find("0 of 24 maps unknown"), std::string::npos) << predicted.err;

  const Result strict = run_wdc({"predict", "--model", file("model.wdcm"), "--data",
                                 file("test.npz"), "--novelty-threshold", "0"});
  ASSERT_EQ(strict.status, 0) << describe(strict);
  EXPECT_NE(strict.out.find("novelty"), std::string::npos) << strict.out;
  EXPECT_NE(strict.out.find("UNKNOWN"), std::string::npos) << strict.out;
  EXPECT_NE(strict.err.find("24 of 24 maps unknown"), std::string::npos) << strict.err;

  const Result fit =
      run_wdc({"fit-novelty", "--model", file("model.wdcm"), "--data", file("train.npz"), "--val",
               file("test.npz"), "--share", "0.25", "--out", file("novel.wdcm"), "--json"});
  ASSERT_EQ(fit.status, 0) << describe(fit);
  const json stats = parse_stdout(fit);
  EXPECT_EQ(stats["bank"], 96);
  EXPECT_EQ(stats["calibration_maps"], 24);
  const double threshold = stats["threshold"].get<double>();
  const Result again =
      run_wdc({"predict", "--model", file("novel.wdcm"), "--data", file("test.npz"), "--json"});
  ASSERT_EQ(again.status, 0) << describe(again);
  int above = 0, at_or_above = 0, unknown = 0;
  for (const json& m : parse_stdout(again)) {
    const double n = m["novelty"].get<double>();
    above += n > threshold;
    at_or_above += n >= threshold;
    unknown += m["unknown"].get<bool>();
  }
  EXPECT_LE(above, 6);  // floor(0.25 * 24)
  EXPECT_GE(at_or_above, 7);
  EXPECT_EQ(unknown, above);
  const Result info = run_wdc({"info", "--model", file("novel.wdcm")});
  EXPECT_NE(info.out.find("flags 25.00% of 24 validation maps"), std::string::npos) << info.out;

  const Result builtin =
      run_wdc({"predict", "--data", file("test.npz"), "--novelty-threshold", "2", "--limit", "1"});
  ASSERT_EQ(builtin.status, 0) << describe(builtin);
  EXPECT_NE(builtin.err.find("0 of 1 maps unknown (novelty above 2.000)"), std::string::npos)
      << builtin.err;
}

TEST_F(CliTest, HelpAndVersionGoToStdout) {
  const Result help = run_wdc({"--help"});
  EXPECT_EQ(help.status, 0);
  for (const char* cmd : {"synth", "train", "eval", "predict", "cam", "info", "report", "split"})
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  const Result sub = run_wdc({"cam", "--help"});
  EXPECT_EQ(sub.status, 0);
  EXPECT_NE(sub.out.find("--label"), std::string::npos) << sub.out;
  const Result version = run_wdc({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_FALSE(version.out.empty());
}

// ---- errors: one line on stderr, nothing on stdout -----------------------------------------

TEST_F(CliTest, MissingFiles) {
  expect_error({"eval", "--model", file("model.wdcm"), "--data", file("nope.npz")}, 2, "nope.npz");
  expect_error({"info", "--model", file("nope.wdcm")}, 2, "nope.wdcm");
  expect_error({"train", "--config", file("nope.json"), "--data", file("train.npz"), "--out",
                file("x.wdcm")},
               2, "nope.json");
}

TEST_F(CliTest, MalformedFiles) {
  expect_error({"info", "--model", file("not_a_model.wdcm")}, 1, "not_a_model.wdcm");
  expect_error({"eval", "--model", file("model.wdcm"), "--data", file("not_an_npz.npz")}, 1,
               "not_an_npz.npz");
  expect_error({"train", "--config", file("broken.json"), "--data", file("train.npz"), "--out",
                file("x.wdcm")},
               1, "broken.json");
  expect_error({"train", "--config", file("typo.json"), "--data", file("train.npz"), "--out",
                file("x.wdcm")},
               1, "netwrok");
  EXPECT_FALSE(fs::exists(file("x.wdcm")));
}

TEST_F(CliTest, BadLabelAndIndex) {
  const std::vector<std::string> base{
      "cam", "--model", file("model.wdcm"), "--data", file("test.npz"), "--out", file("bad.png")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  expect_error(with({"--index", "0", "--label", "Foo"}), 1, "unknown label 'Foo'");
  expect_error(with({"--index", "0", "--label", "8"}), 1, "out of range");
  expect_error(with({"--index", "24", "--label", "Loc"}), 1, "--index 24 is out of range");
  expect_error(with({"--index", "-1", "--label", "Loc"}), 1, "out of range");
  expect_error(with({"--index", "x", "--label", "Loc"}), 2, "--index");
  EXPECT_FALSE(fs::exists(file("bad.png")));
  expect_error({"cam", "--model", file("model.wdcm"), "--data", file("test.npz"), "--index", "0",
                "--label", "Loc", "--out", file("no/such/dir/cam.png")},
               1, "no/such/dir/cam.png");
}

TEST_F(CliTest, BadCommandLines) {
  expect_error({}, 2, "a command is required");
  expect_error({"frobnicate"}, 2, "frobnicate");
  expect_error({"eval", "--model", file("model.wdcm"), "--data", file("test.npz"), "--bogus"}, 2,
               "--bogus");
  expect_error({"eval", "--model", file("model.wdcm")}, 2, "--data");
  expect_error({"synth", "--out", file("z.npz"), "--count", "0"}, 2, "--count");
  expect_error({"--threads", "-1", "info", "--model", file("model.wdcm")}, 2, "--threads");
  expect_error({"train", "--data", file("train.npz"), "--out", file("fresh.wdcm"), "--resume"}, 1,
               "fresh.wdcm.ckpt");
  expect_error({"train", "--data", file("train.npz"), "--out", file("no/such/dir/m.wdcm")}, 1,
               "no/such/dir");
}

// ---- data-parallel training (docs/DISTRIBUTED.md) -------------------------------------------

namespace {

// A TCP port that nothing listens on now (the kernel's pick), for a group's rendezvous.
int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  int port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &size) == 0)
    port = ntohs(address.sin_port);
  ::close(s);
  return port;
}

// Runs `wdc train args... --world-size N --rank R --dist-url ...` for every rank at once; each
// rank's own extra arguments come from `per_rank` (its --out, for instance).
std::vector<Result> train_group(int ranks, const std::vector<std::string>& args,
                                const std::vector<std::vector<std::string>>& per_rank) {
  const std::string url = "tcp://127.0.0.1:" + std::to_string(free_port());
  static int counter = 0;
  std::vector<pid_t> pids;
  std::vector<fs::path> outs, errs;
  for (int rank = 0; rank < ranks; ++rank) {
    std::vector<std::string> a = args;
    a.insert(a.end(), per_rank[rank].begin(), per_rank[rank].end());
    for (const std::string& s :
         {std::string("--world-size"), std::to_string(ranks), std::string("--rank"),
          std::to_string(rank), std::string("--dist-url"), url})
      a.push_back(s);
    outs.push_back(g_dir / ("group." + std::to_string(counter) + ".out"));
    errs.push_back(g_dir / ("group." + std::to_string(counter++) + ".err"));
    pids.push_back(spawn_wdc(a, outs.back(), errs.back()));
  }
  std::vector<Result> results(ranks);
  for (int rank = 0; rank < ranks; ++rank) {
    int status = 0;
    ::waitpid(pids[rank], &status, 0);
    results[rank] = {exit_status(status), slurp(outs[rank]), slurp(errs[rank])};
  }
  return results;
}

bool built_without_gloo(const Result& r) { return r.err.find("has no Gloo") != std::string::npos; }

// Largest difference between two `predict --json` outputs' probabilities.
double max_probability_difference(const json& a, const json& b) {
  double largest = 0;
  EXPECT_EQ(a.size(), b.size());
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    for (size_t k = 0; k < a[i]["probabilities"].size(); ++k)
      largest = std::max(largest, std::abs(a[i]["probabilities"][k].get<double>() -
                                           b[i]["probabilities"][k].get<double>()));
  return largest;
}

json predictions(const std::string& model) {
  const Result r = run_wdc({"predict", "--model", model, "--data", file("train.npz"), "--json"});
  EXPECT_EQ(r.status, 0) << describe(r);
  return parse_stdout(r);
}

}  // namespace

TEST_F(CliTest, TwoRanksTrainTheModelOneRankTrainsWithTwiceTheBatch) {
  // Dropout and augmentation too: the ranks draw the global batch's masks and symmetries.
  std::ofstream(file("group.json")) << R"({
    "network": {"blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}],
                "dropout": 0.2},
    "train": {"batch_size": 8, "lr": 0.05, "seed": 3, "augment": true, "epochs": 2,
              "sync_batch_norm": true}})";
  std::ofstream(file("single.json")) << R"({
    "network": {"blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}],
                "dropout": 0.2},
    "train": {"batch_size": 16, "lr": 0.05, "seed": 3, "augment": true, "epochs": 2}})";
  const std::vector<std::string> common{"--threads",       "1",     "train",          "--data",
                                        file("train.npz"), "--val", file("test.npz"), "--json"};
  std::vector<std::string> single = common;
  for (const char* a : {"--config", "single.json", "--out", "single.wdcm"}) single.push_back(a);
  single[single.size() - 3] = file("single.json");
  single.back() = file("single.wdcm");
  const Result one = run_wdc(single);
  ASSERT_EQ(one.status, 0) << describe(one);

  std::vector<std::string> group = common;
  group.push_back("--config");
  group.push_back(file("group.json"));
  // Rank 1 gets an --out of its own: it must write nothing there.
  const std::vector<Result> ranks =
      train_group(2, group, {{"--out", file("group.wdcm")}, {"--out", file("rank1.wdcm")}});
  if (built_without_gloo(ranks[0])) GTEST_SKIP() << "this build has no Gloo";
  for (const Result& r : ranks) ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_FALSE(fs::exists(file("rank1.wdcm")));
  EXPECT_FALSE(fs::exists(file("rank1.wdcm.ckpt")));
  EXPECT_NE(ranks[1].err.find("rank 0 writes the model"), std::string::npos) << ranks[1].err;

  const json report0 = parse_stdout(ranks[0]), report1 = parse_stdout(ranks[1]),
             single_report = parse_stdout(one);
  EXPECT_EQ(report0["world_size"], 2);
  EXPECT_EQ(report1["rank"], 1);
  EXPECT_TRUE(report1["model"].is_null());
  // Every rank saw the same losses and validation figures: the same best epoch.
  EXPECT_EQ(report0["history"].size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(report0["history"][e]["loss"], report1["history"][e]["loss"]);
    EXPECT_EQ(report0["history"][e]["val_exact_match"], report1["history"][e]["val_exact_match"]);
    EXPECT_NEAR(report0["history"][e]["loss"].get<double>(),
                single_report["history"][e]["loss"].get<double>(), 1e-4);
  }
  EXPECT_EQ(report0["steps"], single_report["steps"]);
  // The same model as one process with the whole batch, to float rounding: measured 6e-6 here,
  // and 8e-4 with BatchNorm per rank instead, which this bound tells apart.
  EXPECT_LT(
      max_probability_difference(predictions(file("group.wdcm")), predictions(file("single.wdcm"))),
      1e-4);
}

TEST_F(CliTest, AGroupResumesFromRankZerosCheckpointAlone) {
  // BatchNorm per rank (the default): the running statistics are averaged after every epoch.
  const std::vector<std::string> args{"--threads",       "1",      "train",           "--config",
                                      file("tiny.json"), "--data", file("train.npz"), "--val",
                                      file("test.npz")};
  auto with = [&](std::vector<std::string> a, std::initializer_list<const char*> more) {
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const std::vector<Result> whole =
      train_group(2, with(args, {"--epochs", "2"}),
                  {{"--out", file("whole.wdcm")}, {"--out", file("whole1.wdcm")}});
  if (built_without_gloo(whole[0])) GTEST_SKIP() << "this build has no Gloo";
  for (const Result& r : whole) ASSERT_EQ(r.status, 0) << describe(r);
  const std::vector<Result> first =
      train_group(2, with(args, {"--epochs", "1"}),
                  {{"--out", file("part.wdcm")}, {"--out", file("part1.wdcm")}});
  for (const Result& r : first) ASSERT_EQ(r.status, 0) << describe(r);
  // Rank 1 has no checkpoint of its own (another machine's disk): rank 0 sends it.
  ASSERT_FALSE(fs::exists(file("part1.wdcm.ckpt")));
  const std::vector<Result> second =
      train_group(2, with(args, {"--epochs", "2", "--resume"}),
                  {{"--out", file("part.wdcm")}, {"--out", file("part1.wdcm")}});
  for (const Result& r : second) ASSERT_EQ(r.status, 0) << describe(r);
  EXPECT_NE(second[0].err.find("epoch 2/2"), std::string::npos) << second[0].err;
  EXPECT_EQ(second[0].err.find("epoch 1/2"), std::string::npos) << second[0].err;
  // An interrupted group resumes to the uninterrupted group's model, bit for bit.
  EXPECT_EQ(predictions(file("part.wdcm")), predictions(file("whole.wdcm")));
}

TEST_F(CliTest, AKilledRankStopsTheOthersWithinTheTimeoutAndNoModelIsLeft) {
  const int timeout = 30;
  std::ofstream(file("fault.json")) << R"({
    "network": {"blocks": [{"channels": 8, "stride": 2}, {"channels": 16, "stride": 2}]},
    "train": {"batch_size": 4, "lr": 0.05, "seed": 3, "dist_timeout": )"
                                    << timeout << "}}";
  const std::string url = "tcp://127.0.0.1:" + std::to_string(free_port());
  std::vector<pid_t> pids;
  for (int rank = 0; rank < 2; ++rank)
    pids.push_back(
        spawn_wdc({"--threads", "1", "train", "--config", file("fault.json"), "--data",
                   file("train.npz"), "--val", file("test.npz"), "--out",
                   file(rank == 0 ? "fault.wdcm" : "fault1.wdcm"), "--epochs", "100000",
                   "--world-size", "2", "--rank", std::to_string(rank), "--dist-url", url},
                  g_dir / ("fault." + std::to_string(rank) + ".out"),
                  g_dir / ("fault." + std::to_string(rank) + ".err")));
  // Mid-training: once rank 0 has written its first checkpoint.
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  while (!fs::exists(file("fault.wdcm.ckpt")) &&
         std::chrono::steady_clock::now() - start < std::chrono::minutes(2) &&
         ::waitpid(pids[0], &status, WNOHANG) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string early_err = slurp(g_dir / "fault.0.err");
  ::kill(pids[1], SIGKILL);
  ::waitpid(pids[1], nullptr, 0);
  if (early_err.find("has no Gloo") != std::string::npos) GTEST_SKIP() << "this build has no Gloo";
  ASSERT_TRUE(fs::exists(file("fault.wdcm.ckpt"))) << early_err;

  const auto killed = std::chrono::steady_clock::now();
  bool exited = false;
  while (std::chrono::steady_clock::now() - killed < std::chrono::seconds(timeout + 10)) {
    if (::waitpid(pids[0], &status, WNOHANG) == pids[0]) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!exited) {
    ::kill(pids[0], SIGKILL);
    ::waitpid(pids[0], nullptr, 0);
  }
  ASSERT_TRUE(exited) << "rank 0 still ran " << timeout + 10 << " s after rank 1 was killed";
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  EXPECT_LT(seconds, timeout);
  const std::string err = slurp(g_dir / "fault.0.err");
  EXPECT_EQ(exit_status(status), 1) << err;
  EXPECT_NE(err.find("wdc: error: distributed training (rank 0 of 2)"), std::string::npos) << err;
  EXPECT_NE(err.find("another rank stopped"), std::string::npos) << err;
  // No model, and nothing half-written beside the checkpoint.
  EXPECT_FALSE(fs::exists(file("fault.wdcm")));
  for (const auto& entry : fs::directory_iterator(g_dir))
    EXPECT_EQ(entry.path().filename().string().find("fault.wdcm.tmp"), std::string::npos)
        << entry.path();
}

// Training options are the library's to check, once `wdc train` has said what it trains on:
// then one "wdc: error:" line, the last, and nothing on stdout.
static void expect_train_error(const std::vector<std::string>& args, const std::string& needle) {
  const Result r = run_wdc(args);
  EXPECT_EQ(r.status, 1) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  const size_t at = r.err.find("wdc: error: ");
  ASSERT_NE(at, std::string::npos) << describe(r);
  EXPECT_EQ(count_lines(r.err.substr(at)), 1) << describe(r);
  EXPECT_NE(r.err.find(needle, at), std::string::npos) << "expected '" << needle << "'\n"
                                                       << describe(r);
}

TEST_F(CliTest, BadGroupOptions) {
  const std::vector<std::string> train{"train",           "--config", file("tiny.json"), "--data",
                                       file("train.npz"), "--out",    file("never.wdcm")};
  auto with = [&](std::initializer_list<const char*> more) {
    std::vector<std::string> a = train;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  expect_train_error(with({"--world-size", "2", "--rank", "2", "--dist-url", "tcp://127.0.0.1:1"}),
                     "\"rank\" must be below world_size (2)");
  expect_train_error(with({"--world-size", "2", "--rank", "0"}), "\"dist_url\" is needed");
  expect_train_error(
      with({"--world-size", "2", "--rank", "1", "--dist-url", "http://127.0.0.1:80"}),
      "tcp://HOST:PORT");
  expect_train_error(
      with({"--world-size", "2", "--rank", "1", "--dist-url", "tcp://127.0.0.1:70000"}),
      "PORT in [1, 65535]");
  expect_error(with({"--world-size", "0"}), 2, "--world-size");
  expect_train_error(with({"--dist-url", "env://"}), "is not set");
  EXPECT_FALSE(fs::exists(file("never.wdcm")));
}

// ---- deterministic training --------------------------------------------------------------

// What other machines would choose, forced on this one: ATen's and oneDNN's baseline kernels
// and an older OpenBLAS kernel set (each changes a trained model: docs/ACCURACY.md).
const std::vector<std::string> kOtherMachinesKernels{
    "ATEN_CPU_CAPABILITY=default", "ONEDNN_MAX_CPU_ISA=SSE41", "DNNL_MAX_CPU_ISA=SSE41",
    "OPENBLAS_CORETYPE=Sandybridge"};

json info_of(const std::string& model) {
  const Result r = run_wdc({"info", "--model", model, "--json"});
  EXPECT_EQ(r.status, 0) << describe(r);
  return parse_stdout(r);
}

// The suite's model's training (tiny.json, 1 epoch), with more flags and environment.
Result train_tiny(const std::string& out, const std::vector<std::string>& more,
                  const std::vector<std::string>& env = {}) {
  std::vector<std::string> args{
      "train", "--config",       file("tiny.json"), "--data",  file("train.npz"),
      "--val", file("test.npz"), "--out",           file(out), "--epochs",
      "1",     "--json"};
  args.insert(args.end(), more.begin(), more.end());
  return run_wdc(args, env);
}

TEST_F(CliTest, DeterministicTrainingGivesOneModelWhateverTheKernelsAndThreads) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
    GTEST_SKIP() << "deterministic training needs AVX2 and FMA";
  const Result here = train_tiny("det_here.wdcm", {"--threads", "2", "--deterministic"});
  ASSERT_EQ(here.status, 0) << describe(here);
  const Result elsewhere = train_tiny("det_elsewhere.wdcm", {"--threads", "1", "--deterministic"},
                                      kOtherMachinesKernels);
  ASSERT_EQ(elsewhere.status, 0) << describe(elsewhere);
  EXPECT_NE(here.err.find("starting again with ATEN_CPU_CAPABILITY=avx2 OPENBLAS_CORETYPE=Haswell"),
            std::string::npos)
      << describe(here);
  const json a = info_of(file("det_here.wdcm")), b = info_of(file("det_elsewhere.wdcm"));
  EXPECT_EQ(a["fingerprint"], b["fingerprint"]);
  EXPECT_EQ(a["training"]["options"]["deterministic"], true);
  const json losses_here = parse_stdout(here)["history"],
             losses_elsewhere = parse_stdout(elsewhere)["history"];
  ASSERT_EQ(losses_here.size(), 1u);
  ASSERT_EQ(losses_elsewhere.size(), 1u);
  EXPECT_EQ(losses_here[0]["loss"], losses_elsewhere[0]["loss"]);
  // The forced kernels are real: without the mode they train another model than the suite's
  // (same options, this machine's own kernels).
  const Result fast = train_tiny("fast_elsewhere.wdcm", {"--threads", "2"}, kOtherMachinesKernels);
  ASSERT_EQ(fast.status, 0) << describe(fast);
  EXPECT_NE(info_of(file("fast_elsewhere.wdcm"))["fingerprint"],
            info_of(file("model.wdcm"))["fingerprint"]);
}

TEST_F(CliTest, DeterministicTrainingRefusesACpuWithoutAvx2) {
  const Result r = train_tiny("never.wdcm", {"--deterministic"}, {"WDC_MAX_CPU_ISA=baseline"});
  EXPECT_EQ(r.status, 1) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_NE(r.err.find("wdc: error: train: deterministic training: it needs a CPU with AVX2 and "
                       "FMA (x86-64-v3); this one offers baseline"),
            std::string::npos)
      << describe(r);
  EXPECT_FALSE(fs::exists(file("never.wdcm")));
}
