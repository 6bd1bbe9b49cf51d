package org.fleettap.collector.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fleettap.proto.v1.AgentEvent;
import org.fleettap.proto.v1.AgentServiceGrpc;
import org.fleettap.proto.v1.CompileErrors;
import org.fleettap.proto.v1.ControlCommand;
import org.fleettap.proto.v1.ControlHello;
import org.fleettap.proto.v1.RegisterRequest;
import org.fleettap.proto.v1.SessionState;
import org.fleettap.proto.v1.SessionStatus;

/** An agent's side of the protocol, driven by the test: registers, opens the control stream, records commands. */
final class FakeAgent implements AutoCloseable {
    private static final long TIMEOUT_SECONDS = 10;

    final String hostId;
    private final AgentServiceGrpc.AgentServiceStub async;
    private final AgentServiceGrpc.AgentServiceBlockingStub blocking;
    private final BlockingQueue<ControlCommand> commands = new LinkedBlockingQueue<>();
    /** Completes with the stream's end: Status.OK when the collector completed it, else its error status. */
    final CompletableFuture<Status> ended = new CompletableFuture<>();
    private StreamObserver<AgentEvent> stream;

    FakeAgent(io.grpc.Channel channel, String hostId) {
        this.hostId = hostId;
        this.async = AgentServiceGrpc.newStub(channel);
        this.blocking = AgentServiceGrpc.newBlockingStub(channel);
    }

    FakeAgent register(Map<String, String> labels) {
        blocking.withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .register(RegisterRequest.newBuilder().setHostId(hostId).putAllLabels(labels).build());
        return this;
    }

    /** Opens the control stream and says hello, reporting {@code running} sessions. */
    FakeAgent connect(String... running) {
        open();
        send(AgentEvent.newBuilder().setHello(ControlHello.newBuilder().setHostId(hostId)
                .addAllRunningSessionIds(List.of(running))).build());
        return this;
    }

    /** Opens the control stream without saying anything. */
    FakeAgent open() {
        stream = async.control(new StreamObserver<>() {
            @Override
            public void onNext(ControlCommand c) {
                commands.add(c);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.OK);
            }
        });
        return this;
    }

    void send(AgentEvent e) {
        stream.onNext(e);
    }

    void status(String sessionId, SessionState state, String reason) {
        send(AgentEvent.newBuilder().setStatus(SessionStatus.newBuilder().setSessionId(sessionId).setHostId(hostId)
                .setState(state).setReason(reason)).build());
    }

    void compileErrors(CompileErrors errors) {
        send(AgentEvent.newBuilder().setCompileErrors(errors).build());
    }

    /** The next command the collector pushed; fails after 10 s. */
    ControlCommand next() throws InterruptedException {
        ControlCommand c = commands.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(c).as("a control command for %s within %d s", hostId, TIMEOUT_SECONDS).isNotNull();
        return c;
    }

    /** The id of the next command, which must start a session. */
    String nextStart() throws InterruptedException {
        ControlCommand c = next();
        assertThat(c.getCommandCase()).as("command to %s", hostId).isEqualTo(ControlCommand.CommandCase.START_SESSION);
        return c.getStartSession().getSessionId();
    }

    /** Completes the agent's side and waits for the collector to complete its own. */
    Status disconnect() throws Exception {
        stream.onCompleted();
        return ended.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    Status awaitEnd() throws Exception {
        return ended.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (stream != null && !ended.isDone()) {
            stream.onCompleted();
        }
    }
}
