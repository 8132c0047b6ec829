import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

/// Kubernetes-native signals: Events on the workload for incident steps, and the workload's own word on its live
/// revision (CrashLoopBackOff pods, ProgressDeadlineExceeded).
@Suite("Kubernetes Events and pod health against the emulated API server")
struct KubernetesSignalsTests {
    typealias H = KubernetesHarness

    @Test("an announcement is a core/v1 Event on the Deployment, with its uid, reason, type and reportingComponent")
    func announcesAnEvent() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            try await provider.announce(
                StepAnnouncement(
                    incidentID: 12, reason: "RewindRollback", warning: false,
                    message: "roll back web to web-abc: succeeded"),
                service: "web")
            try await provider.announce(
                StepAnnouncement(
                    incidentID: 12, reason: "RewindVerificationFailed", warning: true, message: "HTTP 503"),
                service: "web")
            let events = h.kube.events(namespace: H.namespace)
            try #require(events.count == 2)
            #expect(events[0].involvedKind == "Deployment" && events[0].involvedName == "web")
            #expect(events[0].involvedUID?.isEmpty == false)
            #expect(events[0].reason == "RewindRollback" && events[0].type == "Normal")
            #expect(events[0].message == "incident #12: roll back web to web-abc: succeeded")
            #expect(events[0].reportingComponent == "rewind" && events[0].name.hasPrefix("web.rewind-"))
            #expect(events[1].type == "Warning")
            let post = try #require(h.kube.requests.first { $0.method == "POST" })
            #expect(post.path == "/api/v1/namespaces/shop/events")
            #expect(post.json?["source"]?["component"]?.string == "rewind")
        }
    }

    @Test("a message is bounded; a refused Event is a ProviderError naming the RBAC verb")
    func boundedAndRefused() async throws {
        try await withKubernetes { h in
            let long = StepAnnouncement(
                incidentID: 1, reason: "RewindStep", warning: false, message: String(repeating: "x", count: 5000))
            #expect(long.message.count == StepAnnouncement.maxMessageLength)
            h.kube.permissions = ["get deployments"]
            await #expect {
                try await h.provider().announce(long, service: "web")
            } throws: { error in
                let error = error as? ProviderError
                return error?.kind == .auth && error?.message.contains("create events") == true
            }
            #expect(h.kube.events(namespace: H.namespace).isEmpty)
        }
    }

    @Test("pods of the live revision in CrashLoopBackOff are problems with pod, reason, restarts and message")
    func crashLoopingPods() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            #expect(try await provider.workloadProblems(service: "web").isEmpty)
            // An older revision crash-looping is not the live one's problem.
            h.kube.crashLoop(image: H.images[1])
            #expect(try await provider.workloadProblems(service: "web").isEmpty)
            h.kube.crashLoop(image: H.images[2])
            let problems = try await provider.workloadProblems(service: "web")
            #expect(problems.count == 3)
            let first = try #require(problems.first)
            #expect(first.reason == "CrashLoopBackOff" && first.restarts == 5)
            #expect(first.object.hasPrefix("pod web-") && first.object.hasSuffix("container web"))
            #expect(first.message?.contains("back-off 5m0s restarting failed container") == true)
            let list = try #require(h.kube.requests.last { $0.path == "/api/v1/namespaces/shop/pods" })
            #expect(list.query["labelSelector"]?.hasPrefix("app=web,pod-template-hash=") == true)
            #expect(list.query["limit"] == "100")
        }
    }

    @Test("a Rollout's canary pods and ProgressDeadlineExceeded are problems; the stable pods are not read")
    func rolloutProblems() async throws {
        try await withKubernetes { h in
            h.kube.addRollout(namespace: H.namespace, name: "shop", images: ["shop:1", "shop:2"])
            let provider = h.provider(kind: .rollout, deployment: "shop")
            h.kube.crashLoop(image: "shop:3")
            #expect(try await provider.workloadProblems(service: "shop").isEmpty)
            h.kube.deployRollout(namespace: H.namespace, name: "shop", image: "shop:3")
            var problems: [WorkloadProblem] = []
            for _ in 0..<3 where problems.isEmpty {
                problems = try await provider.workloadProblems(service: "shop")
            }
            #expect(problems.map(\.reason) == ["CrashLoopBackOff"])
            h.kube.exceedProgressDeadline(namespace: H.namespace, rollout: "shop")
            let withDeadline = try await provider.workloadProblems(service: "shop")
            #expect(withDeadline.first?.reason == "ProgressDeadlineExceeded")
            #expect(withDeadline.first?.object == "Rollout shop/shop")
            #expect(withDeadline.first?.message?.contains("timed out progressing") == true)
        }
    }

    @Test("watch_pods: false and events: false turn the platform's signals off")
    func switchedOff() async throws {
        try await withKubernetes { h in
            var spec = h.spec()
            spec.watchPods = false
            spec.events = false
            let provider = KubernetesProvider(spec: spec, client: h.client, redactor: Redactor(secrets: []))
            #expect(!provider.reportsWorkloadHealth && !provider.announcesSteps)
            #expect(h.provider().reportsWorkloadHealth && h.provider().announcesSteps)
        }
    }
}
