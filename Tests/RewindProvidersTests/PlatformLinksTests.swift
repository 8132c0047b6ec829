import RewindCore
import RewindProviders
import RewindSpecs
import Testing

/// Where to look at a deployment on its platform: pure, from the configuration and the deployment id.
@Suite("Platform links")
struct PlatformLinksTests {
    static let token = ConfigText("t", isSecret: true)

    @Test("Railway: the dashboard's deployment page, its build logs and its deploy logs, ids escaped")
    func railway() {
        let spec = RailwayProviderSpec(
            token: Self.token, projectID: "p-11", environmentID: "e 22", serviceIDs: ["backend": "s-33"])
        let links = PlatformLinks.links(for: .railway(spec), service: "backend", deploymentID: "d-2")
        let page = "https://railway.com/project/p-11/service/s-33?environmentId=e%2022&id=d-2"
        #expect(
            links == [
                PlatformLink(.deployment, url: page), PlatformLink(.buildLogs, url: page + "#build"),
                PlatformLink(.logs, url: page + "#deploy"),
            ])
        #expect(PlatformLinks.links(for: .railway(spec), service: "worker", deploymentID: "d-2").isEmpty)
    }

    @Test("Vercel: the CLI commands that show the deployment and its logs, scoped to the team")
    func vercel() {
        let team = VercelProviderSpec(token: Self.token, project: "shop-web", teamID: "team_x9")
        #expect(
            PlatformLinks.links(for: .vercel(team), service: "frontend", deploymentID: "dpl_7Qm3rX").map(\.text) == [
                "vercel inspect dpl_7Qm3rX --scope team_x9", "vercel inspect dpl_7Qm3rX --logs --scope team_x9",
                "vercel logs dpl_7Qm3rX --scope team_x9",
            ])
        let personal = VercelProviderSpec(token: Self.token, project: "shop-web")
        #expect(
            PlatformLinks.links(for: .vercel(personal), service: "frontend", deploymentID: "dpl_1").first?.text
                == "vercel inspect dpl_1")
    }

    @Test("Kubernetes: kubectl for the ReplicaSet, the rollout history and the pods of that ReplicaSet")
    func kubernetes() {
        let spec = KubernetesProviderSpec(
            namespace: "shop", workload: "web",
            cluster: KubernetesClusterSpec(
                server: .inCluster, credential: .token(Self.token), authority: .systemRoots,
                credentialName: "KUBE_TOKEN"))
        let links = PlatformLinks.links(for: .kubernetes(spec), service: "web", deploymentID: "web-5d8f7c9b6")
        #expect(links.map(\.kind) == [.deployment, .history, .logs])
        #expect(
            links.map(\.text) == [
                "kubectl --namespace shop describe replicaset/web-5d8f7c9b6",
                "kubectl --namespace shop rollout history deployment/web",
                "kubectl --namespace shop logs --selector pod-template-hash=5d8f7c9b6 --all-containers --prefix",
            ])
        // A revision number names no ReplicaSet hash: the Deployment's logs instead.
        #expect(
            PlatformLinks.links(for: .kubernetes(spec), service: "web", deploymentID: "7").last?.text
                == "kubectl --namespace shop logs deployment/web --all-containers")
    }

    @Test("Argo Rollouts: the ReplicaSet, the plugin's view of the Rollout, the pods of its rollouts-pod-template-hash")
    func argoRollout() {
        let spec = KubernetesProviderSpec(
            namespace: "shop", kind: .rollout, workload: "web",
            cluster: KubernetesClusterSpec(
                server: .inCluster, credential: .token(Self.token), authority: .systemRoots,
                credentialName: "KUBE_TOKEN"))
        let links = PlatformLinks.links(for: .kubernetes(spec), service: "web", deploymentID: "web-6c9d8f7b5")
        #expect(
            links.map(\.text) == [
                "kubectl --namespace shop describe replicaset/web-6c9d8f7b5",
                "kubectl --namespace shop argo rollouts get rollout -- web",
                "kubectl --namespace shop logs --selector rollouts-pod-template-hash=6c9d8f7b5 --all-containers --prefix",
            ])
    }

    @Test("providers without a platform page have no links; arguments that need quoting are quoted")
    func others() {
        let command = ProviderSpec.command(CommandProviderSpec(rollback: ["true"]))
        #expect(PlatformLinks.links(for: command, service: "backend", deploymentID: "x").isEmpty)
        #expect(PlatformLink(.logs, command: ["echo", "it's here", "a b"]).text == "echo 'it'\\''s here' 'a b'")
    }
}
